#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
// Winograd weight transform (src/ops/conv2d.c): U[xi][k][n] = (G g G^T)[xi] for the 3x3
// filter g of input channel k and output channel n of the convolution being computed, zero for
// the padding (k >= cin, n >= cout). Weights are read with conv2d.comp's strides, so the
// backward-data pass (channel roles swapped, taps flipped) reads them in place.
#define HB_KERNEL_1D
#include "common.glsl"
#include "conv2d_wino.glsl"

layout(binding = 0) uniform samplerBuffer Wt;
layout(std430, binding = 1) writeonly buffer Ub { float U[]; };

layout(push_constant) uniform PC {
    uint total;        // kp * np
    uint kp, np;       // padded input (multiple of 4) and output (multiple of the GEMM block) channels
    uint cin, cout, w_off, s_o, s_i;
    int tap_base, tap_step;
    uint u_off;
};

void main() {
    uint idx = hb_global_index();
    if (idx >= total) return;
    uint k = idx / np, n = idx - k * np;
    bool real = k < cin && n < cout;
    int base = int(w_off + min(n, cout - 1u) * s_o + min(k, cin - 1u) * s_i) + tap_base;
    float g[3][3];
    [[unroll]] for (uint t = 0; t < 9u; t++) {
        float v = texelFetch(Wt, base + tap_step * int(t)).x;
        g[t / 3u][t % 3u] = real ? v : 0.0;
    }
    float h[AL][3]; // G g
    [[unroll]] for (uint i = 0; i < AL; i++)
        [[unroll]] for (uint j = 0; j < 3u; j++)
            h[i][j] = wino_g(i, 0) * g[0][j] + wino_g(i, 1) * g[1][j] + wino_g(i, 2) * g[2][j];
    [[unroll]] for (uint i = 0; i < AL; i++)
        [[unroll]] for (uint j = 0; j < AL; j++) {
            float u = h[i][0] * wino_g(j, 0) + h[i][1] * wino_g(j, 1) + h[i][2] * wino_g(j, 2);
            U[u_off + ((i * AL + j) * kp + k) * np + n] = u;
        }
}
