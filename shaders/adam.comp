#version 450
#extension GL_GOOGLE_include_directive : require
// Fused Adam + weight EMA + global gradient-norm clip (src/ops/adam.c). In place: p, m, v, ema
// are each bound twice (read view, write view); an invocation reads its element before
// writing it. Per-iteration values (lr, bias corrections, ||g||^2) come from device tensors so
// one recording serves every step. VEC is 4 when the big tensors are vec4-aligned.
#define HB_KERNEL_1D
#include "common.glsl"
layout(constant_id = 1) const uint VEC = 1;
layout(constant_id = 2) const uint HAS_EMA = 0;
layout(constant_id = 3) const uint CLIP = 0;

layout(binding = 0) uniform samplerBuffer Pin;
layout(binding = 1) uniform samplerBuffer G;
layout(binding = 2) uniform samplerBuffer Min;
layout(binding = 3) uniform samplerBuffer Vin;
layout(binding = 4) uniform samplerBuffer Ein;
layout(binding = 5) uniform samplerBuffer H;  // {lr, 1-beta1^t, 1-beta2^t, unused}, floats
layout(binding = 6) uniform samplerBuffer SQ; // ||g||^2 of the whole flat gradient
layout(binding = 7) uniform writeonly imageBuffer Pout;
layout(binding = 8) uniform writeonly imageBuffer Mout;
layout(binding = 9) uniform writeonly imageBuffer Vout;
layout(binding = 10) uniform writeonly imageBuffer Eout;

layout(push_constant) uniform PC {
    uint n;                                 // elements of the bound views
    uint p_off, g_off, m_off, v_off, e_off; // in elements of the bound views
    uint h_off, s_off;                      // in floats
    float beta1, beta2, eps, decay, max_norm;
};

void main() {
    uint i = hb_global_index();
    if (i >= n) return;
    float lr = texelFetch(H, int(h_off)).x;
    float bc1 = texelFetch(H, int(h_off + 1u)).x;
    float bc2 = texelFetch(H, int(h_off + 2u)).x;
    vec4 g = texelFetch(G, int(g_off + i));
    if (CLIP != 0u) { // tf.clip_by_global_norm: g * max_norm / max(||g||, max_norm)
        float norm = sqrt(texelFetch(SQ, int(s_off)).x);
        g *= max_norm / max(norm, max_norm);
    }
    vec4 m = beta1 * texelFetch(Min, int(m_off + i)) + (1.0 - beta1) * g;
    vec4 v = beta2 * texelFetch(Vin, int(v_off + i)) + (1.0 - beta2) * (g * g);
    vec4 p = texelFetch(Pin, int(p_off + i)) - lr * (m / bc1) / (sqrt(v / bc2) + eps);
    imageStore(Mout, int(m_off + i), m);
    imageStore(Vout, int(v_off + i), v);
    imageStore(Pout, int(p_off + i), p);
    if (HAS_EMA != 0u) {
        vec4 e = decay * texelFetch(Ein, int(e_off + i)) + (1.0 - decay) * p;
        imageStore(Eout, int(e_off + i), e);
    }
}
