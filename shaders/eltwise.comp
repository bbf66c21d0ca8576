#version 450
#extension GL_GOOGLE_include_directive : require
// Elementwise ops (src/ops/eltwise.c). OP selects the formula at pipeline build time; VEC is
// 4 when every tensor is vec4-aligned (bound as RGBA32F views), else 1.
#define HB_KERNEL_1D
#include "common.glsl"
layout(constant_id = 1) const uint OP = 0;
layout(constant_id = 2) const uint VEC = 1;
// affine with VEC == 4 and HW % 4 == 0: the four floats of a vec4 share one channel, so one
// division and one fetch serve them (each costs as much as the rest of the op on lavapipe)
layout(constant_id = 3) const uint CH4 = 0;
// OLD: y's previous value is read (axpby with beta != 0: beta * old; other ops accumulate:
// + old). Fixed per pipeline: lavapipe runs both sides of a branch, so a run-time flag would
// fetch the old value always.
layout(constant_id = 4) const uint OLD = 0;

const uint FILL = 0, AXPBY = 1, ADD = 2, RELU = 3, RELU_BWD = 4, TANH = 5, TANH_BWD = 6,
           AFFINE = 7, AFFINE_BWD = 8, AFFINE_RELU = 9;

layout(binding = 0) uniform samplerBuffer A;
layout(binding = 1) uniform samplerBuffer B;
layout(binding = 2) uniform samplerBuffer P;    // affine: beta (B holds gamma)
layout(binding = 3) uniform samplerBuffer Yold; // y's previous value (OLD)
layout(std430, binding = 4) writeonly buffer Y4b { HbF4 Y4[]; }; // VEC == 4 (wide stores)
layout(std430, binding = 4) writeonly buffer Y1b { float Y1[]; };

layout(push_constant) uniform PC {
    uint n;                  // elements (vec4s when VEC == 4)
    uint a_off, b_off, p_off, old_off; // offsets in elements of the bound view
    uint y_off;              // in the output's storage window
    float alpha, beta;
    uint C, HW, first;       // affine: channel of float f is ((first + f) / HW) % C
};

// Per-channel parameter for each float of element i (params are always bound as floats).
vec4 gamma_of(uint i) {
    if (CH4 != 0u) return vec4(texelFetch(B, int(b_off + ((first + 4u * i) / HW) % C)).x);
    vec4 r = vec4(0);
    for (uint k = 0; k < VEC; k++) r[k] = texelFetch(B, int(b_off + ((first + i * VEC + k) / HW) % C)).x;
    return r;
}
vec4 beta_of(uint i) {
    if (CH4 != 0u) return vec4(texelFetch(P, int(p_off + ((first + 4u * i) / HW) % C)).x);
    vec4 r = vec4(0);
    for (uint k = 0; k < VEC; k++) r[k] = texelFetch(P, int(p_off + ((first + i * VEC + k) / HW) % C)).x;
    return r;
}

// Overflow-safe: tanh(x) = 1 - 2 / (exp(2x) + 1) is exactly +-1 for large |x|, never NaN.
vec4 safe_tanh(vec4 x) { return 1.0 - 2.0 / (exp(2.0 * x) + 1.0); }

void main() {
    uint i = hb_global_index();
    if (i >= n) return;
    vec4 a = texelFetch(A, int(a_off + i));
    vec4 old = OLD != 0u ? texelFetch(Yold, int(old_off + i)) : vec4(0);
    vec4 r;
    if (OP == FILL) r = vec4(alpha);
    else if (OP == AXPBY) r = alpha * a + beta * old;
    else if (OP == ADD) r = a + texelFetch(B, int(b_off + i));
    else if (OP == RELU) r = max(a, vec4(0));
    else if (OP == RELU_BWD) r = mix(vec4(0), a, greaterThan(texelFetch(B, int(b_off + i)), vec4(0)));
    else if (OP == TANH) r = alpha * safe_tanh(a);
    else if (OP == TANH_BWD) { // a = gy, B = y = alpha*tanh(x)
        vec4 t = texelFetch(B, int(b_off + i)) / alpha;
        r = a * alpha * (1.0 - t * t);
    } else if (OP == AFFINE)
        r = gamma_of(i) * a + beta_of(i);
    else if (OP == AFFINE_RELU)
        r = max(gamma_of(i) * a + beta_of(i), vec4(0));
    else // AFFINE_BWD: gx = gamma * gy
        r = gamma_of(i) * a;
    if (OP != AXPBY && OLD != 0u) r += old;
    if (VEC == 4u) Y4[y_off + i] = hb_f4(r);
    else Y1[y_off + i] = r.x;
}
