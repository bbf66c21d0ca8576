#version 450
#extension GL_GOOGLE_include_directive : require
// Pass 1 of the Langevin step (src/ops/langevin.c): S[s] = sum_j g'[s][j]^2 with
// g' = grad_scale*grad + 2*tau*x. One workgroup per sample; each invocation sums a fixed
// strided subset, then a fixed-order tree reduce, so the result is deterministic.
// VEC is 4 when D % 4 == 0 and x, grad are vec4-aligned (bound as RGBA32F).
#include "common.glsl"
#define LOCAL 256u
layout(local_size_x = 256) in;
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

shared float part[LOCAL];

void main() {
    uint s = gl_WorkGroupID.x;
    uint t = gl_LocalInvocationIndex;
    float acc = 0.0;
    if (s < N) {
        uint base = s * Dv;
        for (uint j = t; j < Dv; j += LOCAL) {
            vec4 gp = grad_scale * texelFetch(G, int(g_off + base + j));
            if (tau2 != 0.0) gp += tau2 * texelFetch(X, int(x_off + base + j));
            if (VEC == 4) acc += dot(gp, gp);
            else acc += gp.x * gp.x;
        }
    }
    part[t] = acc;
    barrier();
    for (uint h = LOCAL / 2u; h > 0u; h >>= 1) {
        if (t < h) part[t] += part[t + h];
        barrier();
    }
    if (t == 0u && s < N) imageStore(S, int(s_off + s), vec4(part[0]));
}
