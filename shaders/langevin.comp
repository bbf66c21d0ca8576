#version 450
#extension GL_GOOGLE_include_directive : require
// Pass 2 of the Langevin step (src/ops/langevin.c), x [N][D] in place:
//   g' = grad_scale*grad + 2*tau*x, drift = (eps^2/2) g' scaled per sample to L2 norm at most
//   max_norm (S[s] = ||g'_s||^2 from langevin_norm.comp), x <- x - drift + eps*noise,
// noise = hb_randn(seed, stream, counter) of the flat element index. One invocation per
// Philox block (elements 4b..4b+3). VEC is 4 when x, grad are vec4-aligned and N*D % 4 == 0.
#define HB_KERNEL_1D
#include "common.glsl"
#include "philox.glsl"
layout(constant_id = 1) const uint VEC = 1;
// ROW4: D % 4 == 0, so the four floats of a vec4 share one sample (with VEC == 4). Fixed per
// pipeline: lavapipe runs both sides of a branch, so the four-sample case would always run.
layout(constant_id = 2) const uint ROW4 = 0;

layout(binding = 0) uniform samplerBuffer X;
layout(binding = 1) uniform samplerBuffer G;
layout(binding = 2) uniform samplerBuffer S;   // per-sample ||g'||^2, floats
layout(binding = 3) uniform samplerBuffer CTR; // iteration, as a float
layout(binding = 4) uniform writeonly imageBuffer Xout;

layout(push_constant) uniform PC {
    uint n, D;              // total floats; floats per sample
    uint x_off, g_off;      // in elements of the bound views
    uint s_off, c_off;      // in floats
    float eps, half_eps2, grad_scale, tau2, max_norm;
    uint seed_lo, seed_hi, stream;
    uint block0;            // Philox block of element 0 of x: the draw's element offset / 4
};

// Drift multiplier of sample s: (eps^2/2) * min(1, max_norm / ||drift_s||).
float drift_factor(uint s) {
    float f = half_eps2;
    if (max_norm > 0.0) {
        float dn = half_eps2 * sqrt(texelFetch(S, int(s_off + s)).x);
        if (dn > max_norm) f *= max_norm / dn;
    }
    return f;
}

void main() {
    uint b = hb_global_index();
    if (b * 4u >= n) return;
    uint iteration = uint(texelFetch(CTR, int(c_off)).x);
    vec4 z = hb_randn4(block0 + b, uvec2(seed_lo, seed_hi), stream, iteration);
    uint e0 = b * 4u;
    if (VEC == 4) {
        vec4 x = texelFetch(X, int(x_off + b));
        vec4 gp = grad_scale * texelFetch(G, int(g_off + b)) + tau2 * x;
        vec4 f;
        if (ROW4 != 0u) f = vec4(drift_factor(e0 / D));
        else
            for (uint k = 0; k < 4u; k++) f[k] = drift_factor((e0 + k) / D);
        imageStore(Xout, int(x_off + b), x - f * gp + eps * z);
    } else {
        for (uint k = 0; k < 4u; k++) {
            uint e = e0 + k;
            if (e >= n) break;
            float x = texelFetch(X, int(x_off + e)).x;
            float gp = grad_scale * texelFetch(G, int(g_off + e)).x + tau2 * x;
            imageStore(Xout, int(x_off + e), vec4(x - drift_factor(e / D) * gp + eps * z[k]));
        }
    }
}
