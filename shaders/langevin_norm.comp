#version 450
#extension GL_GOOGLE_include_directive : require
// Pass 1 of the Langevin step (src/ops/langevin.c): S[s] = sum_j g'[s][j]^2 with
// g' = grad_scale*grad + 2*tau*x. One invocation per sample, in workgroups of one SIMD row
// (8) so the samples spread over the cores: lavapipe runs shared memory and barrier() as
// coroutines (a tree reduce over 256 invocations took 0.8 ms for 64 samples of 1024 floats;
// this takes a tenth). Four partial sums, added in a fixed order: deterministic.
// VEC is 4 when D % 4 == 0 and x, grad are vec4-aligned (bound as RGBA32F).
#include "common.glsl"
layout(local_size_x = 8) in;
layout(constant_id = 0) const uint VEC = 1;

layout(binding = 0) uniform samplerBuffer X;
layout(binding = 1) uniform samplerBuffer G;
layout(binding = 2) uniform writeonly imageBuffer S;

layout(push_constant) uniform PC {
    uint N, Dv;          // samples; elements per sample in the bound views
    uint x_off, g_off;   // in elements of the bound views
    uint s_off;          // in floats
    float grad_scale, tau2; // tau2 = 2*tau
};

vec4 drift_sq(uint i) {
    vec4 gp = grad_scale * texelFetch(G, int(g_off + i));
    if (tau2 != 0.0) gp += tau2 * texelFetch(X, int(x_off + i));
    return VEC == 4u ? gp * gp : vec4(gp.x * gp.x, 0, 0, 0);
}

void main() {
    uint s = gl_GlobalInvocationID.x;
    if (s >= N) return;
    uint base = s * Dv, j = 0;
    vec4 acc[4] = vec4[4](vec4(0), vec4(0), vec4(0), vec4(0));
    for (; j + 4u <= Dv; j += 4u)
        for (uint u = 0; u < 4u; u++) acc[u] += drift_sq(base + j + u);
    for (; j < Dv; j++) acc[0] += drift_sq(base + j);
    vec4 t = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    imageStore(S, int(s_off + s), vec4((t.x + t.y) + (t.z + t.w)));
}
