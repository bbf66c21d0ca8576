#version 450
#extension GL_GOOGLE_include_directive : require
// Segmented sums (src/ops/reduce.c): workgroup o writes
//   out[o] = scale * sum over n < N, p < HW of f(x[e], y[e]),  e = (n*C + o)*HW + p,
// which covers whole-tensor sums (N = C = 1), per-row sums (N = 1) and per-channel sums of
// NCHW tensors. Each invocation sums a fixed strided subset in order, then a shared-memory
// tree combines the partials in a fixed pattern: the same bits on every run. One workgroup
// per output needs no scratch; the inputs here are at most a few million elements.
#define HB_KERNEL_1D
#include "common.glsl"
layout(constant_id = 1) const uint OP = 0;
layout(constant_id = 2) const uint VEC = 1; // 4: x and y bound as RGBA32F, HW counts vec4s

const uint SUM = 0, SUMSQ = 1, PROD = 2, DIFFSQ = 3;

layout(binding = 0) uniform samplerBuffer X;
layout(binding = 1) uniform samplerBuffer Yin; // PROD, DIFFSQ
layout(binding = 2) uniform writeonly imageBuffer Out;

layout(push_constant) uniform PC {
    uint N, C, HW;
    uint x_off, y_off, out_off; // x, y in elements of their view; out in floats
    float scale;
};

shared vec4 part[HB_LOCAL_SIZE];

vec4 term(uint e) {
    vec4 a = texelFetch(X, int(x_off + e));
    vec4 b = OP == PROD || OP == DIFFSQ ? texelFetch(Yin, int(y_off + e)) : vec4(0);
    vec4 r = OP == SUM ? a : OP == SUMSQ ? a * a : OP == PROD ? a * b : (a - b) * (a - b);
    // an R32F view returns (x, 0, 0, 1): keep only x
    return VEC == 4u ? r : vec4(r.x, 0, 0, 0);
}

void main() {
    uint o = gl_WorkGroupID.x, t = gl_LocalInvocationIndex;
    // walk k = t, t + L, ... < N*HW as (n, p) = (k / HW, k % HW) without a division per step
    uint n = t / HW, p = t - n * HW;
    uint dn = HB_LOCAL_SIZE / HW, dp = HB_LOCAL_SIZE - dn * HW;
    vec4 acc = vec4(0);
    while (n < N) {
        acc += term((n * C + o) * HW + p);
        p += dp;
        n += dn;
        if (p >= HW) {
            p -= HW;
            n++;
        }
    }
    part[t] = acc;
    // fold the upper half onto the lower half; works for any workgroup size
    for (uint live = HB_LOCAL_SIZE; live > 1u;) {
        uint h = (live + 1u) / 2u;
        barrier();
        if (t < live - h) part[t] += part[t + h];
        live = h;
    }
    if (t == 0u) {
        vec4 s = part[0];
        imageStore(Out, int(out_off + o), vec4(scale * ((s.x + s.y) + (s.z + s.w))));
    }
}
