#version 450
#extension GL_GOOGLE_include_directive : require
// Counter-based N(0,1) draws (src/ops/rng.c). One invocation per Philox block: elements
// 4b..4b+3. VEC is 4 when the output is vec4-aligned and n % 4 == 0 (bound as RGBA32F).
#define HB_KERNEL_1D
#include "common.glsl"
#include "philox.glsl"
layout(constant_id = 1) const uint VEC = 1;

layout(binding = 0) uniform samplerBuffer CTR; // element c_off: the iteration, as a float
layout(binding = 1) uniform writeonly imageBuffer Y;

layout(push_constant) uniform PC {
    uint n;       // floats
    uint y_off;   // in elements of the bound view
    uint c_off;
    uint seed_lo, seed_hi, stream;
    uint block0;  // Philox block of element 0: the draw's element offset / 4
};

void main() {
    uint b = hb_global_index();
    if (b * 4u >= n) return;
    uint iteration = uint(texelFetch(CTR, int(c_off)).x);
    vec4 z = hb_randn4(block0 + b, uvec2(seed_lo, seed_hi), stream, iteration);
    if (VEC == 4) {
        imageStore(Y, int(y_off + b), z);
    } else {
        for (uint k = 0; k < 4u; k++)
            if (b * 4u + k < n) imageStore(Y, int(y_off + b * 4u + k), vec4(z[k]));
    }
}
