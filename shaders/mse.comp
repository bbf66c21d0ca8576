#version 450
#extension GL_GOOGLE_include_directive : require
// Gradient of the MSE loss (src/ops/mse.c): g = coef * (a - b), coef = factor * 2 / n. The
// loss itself is a reduction (shaders/reduce.comp). VEC is 4 when every tensor is vec4-aligned.
#define HB_KERNEL_1D
#include "common.glsl"
layout(constant_id = 1) const uint VEC = 1;

layout(binding = 0) uniform samplerBuffer A;
layout(binding = 1) uniform samplerBuffer B;
layout(binding = 2) uniform writeonly imageBuffer G;

layout(push_constant) uniform PC {
    uint n; // elements (vec4s when VEC == 4)
    uint a_off, b_off, g_off;
    float coef;
};

void main() {
    uint i = hb_global_index();
    if (i >= n) return;
    vec4 d = texelFetch(A, int(a_off + i)) - texelFetch(B, int(b_off + i));
    imageStore(G, int(g_off + i), coef * d);
}
