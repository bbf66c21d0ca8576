#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
// Weight transform of the pooled convolution by phases (src/ops/conv2d.c, conv2d_wino_s2.glsl).
// w4 = the 3x3 filter w[co][ci] convolved with the 2x2 box / 4: the 4x4 stride-2 filter of
// avgpool2(conv3x3). Phase (ry, rx) of the input (rows 2j + ry, columns 2i + rx) meets the
// 2x2 filter g[s][t] = w4[2s + 1 - ry][2t + 1 - rx] in the forward pass and
// gb[s][t] = w4[3 - ry - 2s][3 - rx - 2t] in the backward-data pass (derivation beside
// wino_s2() in conv2d.c). U = G g G^T, zero for padding channels:
// forward   U[xi][k][n], k = 4 ci + phase, n = co;
// backward  U[phase * 25 + xi][k][n], k = co, n = ci.
#define HB_KERNEL_1D
#include "common.glsl"
#include "conv2d_wino_s2.glsl"

layout(constant_id = 1) const uint BACKWARD = 0;

layout(binding = 0) uniform samplerBuffer Wt; // w[cout][cin][3][3]
layout(std430, binding = 1) writeonly buffer Ub { float U[]; };

layout(push_constant) uniform PC {
    uint total;  // kp * np (backward: times 4 phases)
    uint kp, np; // padded rows and columns of each U[xi]
    uint cin, cout, w_off, u_off;
};

void main() {
    uint idx = hb_global_index();
    if (idx >= total) return;
    uint kn = kp * np, ph = BACKWARD != 0u ? idx / kn : 0u, r = idx - ph * kn;
    uint k = r / np, n = r - k * np, ci, co;
    if (BACKWARD != 0u) co = k, ci = n;
    else ci = k / 4u, co = n, ph = k % 4u;
    bool real = ci < cin && co < cout;
    int base = int(w_off + (min(co, cout - 1u) * cin + min(ci, cin - 1u)) * 9u);
    float w[3][3];
    [[unroll]] for (uint t = 0; t < 9u; t++) w[t / 3u][t % 3u] = texelFetch(Wt, base + int(t)).x;
    float w4[4][4];
    [[unroll]] for (uint u = 0; u < 4u; u++)
        [[unroll]] for (uint v = 0; v < 4u; v++) {
            float s = 0.0;
            [[unroll]] for (uint dy = 0; dy < 2u; dy++)
                [[unroll]] for (uint dx = 0; dx < 2u; dx++)
                    if (u >= dy && u - dy < 3u && v >= dx && v - dx < 3u) s += w[u - dy][v - dx];
            w4[u][v] = 0.25 * s;
        }
    uint ry = ph / 2u, rx = ph % 2u;
    float g[2][2];
    [[unroll]] for (uint s = 0; s < 2u; s++)
        [[unroll]] for (uint t = 0; t < 2u; t++)
            g[s][t] = real ? (BACKWARD != 0u ? w4[3u - ry - 2u * s][3u - rx - 2u * t]
                                             : w4[2u * s + 1u - ry][2u * t + 1u - rx])
                           : 0.0;
    uint xi0 = BACKWARD != 0u ? ph * S2_AL * S2_AL : 0u;
    [[unroll]] for (uint i = 0; i < S2_AL; i++) {
        float h0 = S2_G[i][0] * g[0][0] + S2_G[i][1] * g[1][0];
        float h1 = S2_G[i][0] * g[0][1] + S2_G[i][1] * g[1][1];
        [[unroll]] for (uint j = 0; j < S2_AL; j++)
            U[u_off + ((xi0 + i * S2_AL + j) * kp + k) * np + n] =
                h0 * S2_G[j][0] + h1 * S2_G[j][1];
    }
}
