#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
// Winograd weight gradient, the last transform (src/ops/conv2d.c): for output channel co and
// 4 input channels, gw[co][ci] = G^T R G of the alpha x alpha GEMM result R[.][co][ci] (read as
// vec4 over ci), plus gw's old value when ACCUMULATE (images in chunks).
#define HB_KERNEL_1D
#include "common.glsl"
#include "conv2d_wino.glsl"
// fixed per pipeline: lavapipe runs both sides of a branch, a run-time flag would always fetch
layout(constant_id = 1) const uint ACCUMULATE = 0;

layout(binding = 0) uniform samplerBuffer Rt;
layout(binding = 1) uniform samplerBuffer Old;
layout(std430, binding = 2) writeonly buffer Gwb { float Gw[]; };

layout(push_constant) uniform PC {
    uint total;         // cout * c4n
    uint c4n, cop;      // vec4s per row of R (padded input channels); padded output channels
    uint cin, r_off4, old_off, gw_off;
};

void main() {
    uint idx = hb_global_index();
    if (idx >= total) return;
    uint co = idx / c4n, c4 = idx - co * c4n;
    vec4 r[AL][AL];
    [[unroll]] for (uint a = 0; a < AL; a++)
        [[unroll]] for (uint b = 0; b < AL; b++)
            r[a][b] = texelFetch(Rt, int(r_off4 + ((a * AL + b) * cop + co) * c4n + c4));
    vec4 h[3][AL]; // G^T r
    [[unroll]] for (uint i = 0; i < 3u; i++)
        [[unroll]] for (uint b = 0; b < AL; b++) {
            vec4 s = vec4(0);
            [[unroll]] for (uint a = 0; a < AL; a++) s += wino_g(a, i) * r[a][b];
            h[i][b] = s;
        }
    [[unroll]] for (uint j = 0; j < 4u; j++) {
        uint ci = 4u * c4 + j;
        if (ci >= cin) break;
        [[unroll]] for (uint t = 0; t < 9u; t++) {
            float v = 0.0;
            [[unroll]] for (uint b = 0; b < AL; b++) v += h[t / 3u][b][j] * wino_g(b, t % 3u);
            uint o = (co * cin + ci) * 9u + t;
            if (ACCUMULATE != 0u) v += texelFetch(Old, int(old_off + o)).x;
            Gw[gw_off + o] = v;
        }
    }
}
