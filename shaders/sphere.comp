#version 450
#extension GL_GOOGLE_include_directive : require
// Sphere projection (src/ops/sphere.c): z = sqrt(D) * x / (||x|| + 1e-6) per sample, and its
// backward gx = s*gz - sqrt(D) * (x.gz) / ((n + 1e-6)^2 * n) * x with n = ||x||,
// s = sqrt(D)/(n + 1e-6) (the second term is 0 when n = 0). One workgroup per sample: each
// invocation sums a fixed strided subset, then a fixed-order tree in shared memory, so the
// per-sample sums (and so the results) are deterministic. The sums are also stored in
// scratch: S[s] = ||x_s|| and, backward, S[N + s] = x_s . gz_s.
// VEC is 4 when D % 4 == 0 and every row tensor is vec4-aligned (bound as RGBA32F).
#include "common.glsl"
#define LOCAL 256u
layout(local_size_x = 256) in;
layout(constant_id = 0) const uint VEC = 1;
layout(constant_id = 1) const uint BACKWARD = 0;

layout(binding = 0) uniform samplerBuffer X;
layout(binding = 1) uniform samplerBuffer G;      // gz (backward; a stand-in forward)
layout(binding = 2) uniform writeonly imageBuffer S; // scratch, floats
layout(binding = 3) uniform writeonly imageBuffer Y; // z or gx

layout(push_constant) uniform PC {
    uint N, Dv;              // samples; elements per sample in the bound views
    uint x_off, g_off, y_off; // in elements of the bound views
    uint s_off;              // in floats
    float sqrtD, eps;
};

shared vec2 part[LOCAL];

void main() {
    uint s = gl_WorkGroupID.x;
    uint t = gl_LocalInvocationIndex;
    if (s >= N) return; // uniform per workgroup
    uint base = s * Dv;
    vec2 acc = vec2(0); // (sum x^2, sum x*gz)
    for (uint j = t; j < Dv; j += LOCAL) {
        vec4 x = texelFetch(X, int(x_off + base + j));
        if (VEC == 4u) {
            acc.x += dot(x, x);
            if (BACKWARD != 0u) acc.y += dot(x, texelFetch(G, int(g_off + base + j)));
        } else {
            acc.x += x.x * x.x;
            if (BACKWARD != 0u) acc.y += x.x * texelFetch(G, int(g_off + base + j)).x;
        }
    }
    part[t] = acc;
    barrier();
    for (uint h = LOCAL / 2u; h > 0u; h >>= 1) {
        if (t < h) part[t] += part[t + h];
        barrier();
    }
    vec2 sums = part[0];
    float n = sqrt(sums.x), ne = n + eps, sc = sqrtD / ne;
    if (t == 0u) {
        imageStore(S, int(s_off + s), vec4(n));
        if (BACKWARD != 0u) imageStore(S, int(s_off + N + s), vec4(sums.y));
    }
    // (x.gz)/n is bounded by |gz| (Cauchy-Schwarz), so this never overflows; n = 0: 0.
    float coef = BACKWARD != 0u && n > 0.0 ? sqrtD * (sums.y / n) / (ne * ne) : 0.0;
    for (uint j = t; j < Dv; j += LOCAL) {
        vec4 x = texelFetch(X, int(x_off + base + j));
        vec4 r;
        if (BACKWARD != 0u) r = sc * texelFetch(G, int(g_off + base + j)) - coef * x;
        else r = sc * x;
        imageStore(Y, int(y_off + base + j), r);
    }
}
