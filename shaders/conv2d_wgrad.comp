#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
// Convolution weight gradient (src/ops/conv2d.c):
//   gw[co][ci][ky][kx] = sum over n, y, x of gout[n][co][y][x] * in[n][ci][y+ky-P][x+kx-P].
// Each invocation owns TC output channels (16, or 8 when there are fewer than 16: 16 ran 15-20%
// faster than 8 at 32x32 on lavapipe) x (2 input channels x 9 taps for k = 3, or 8 input
// channels for k = 1) and loops over image rows [r0, r1) of the N*H rows, 4 pixels at a
// time. When there are too few tiles to fill the device, or too many rows for lavapipe's
// loop limit (src/ops/conv2d.c), the rows are split into chunks whose partial sums go to a
// workspace, summed later in a fixed order (shaders/conv2d_wgrad_reduce.comp). The [[unroll]]
// loops must unroll: otherwise acc would be indexed dynamically (slow) and their
// iterations would count against the loop limit.
// The bias gradient (sum of gout per channel) comes along in the invocations of input-channel
// block 0, which load those gout values anyway: one dispatch fewer.
#define HB_KERNEL_1D
#include "common.glsl"
layout(constant_id = 1) const uint K = 3;
layout(constant_id = 2) const uint VEC = 1;
const int P = int(K) / 2;
layout(constant_id = 3) const uint TC = 8; // output channels per invocation
const uint TI = K == 1u ? 8u : 2u;  // input channels per invocation
const uint KK = K * K;

layout(binding = 0) uniform samplerBuffer In;
layout(binding = 1) uniform samplerBuffer Gout;
layout(binding = 2) uniform writeonly imageBuffer Dst; // gw, or the workspace [S][cout*cin*KK]
layout(binding = 3) uniform writeonly imageBuffer Gb;  // gb, or the workspace's [S][cout] part

layout(push_constant) uniform PC {
    uint total; // invocations: chunks * co blocks * ci blocks
    uint ciblocks, coblocks, N, cin, cout, H, W;
    uint in_off, g_off, dst_off; // floats
    uint chunk_rows;             // rows (of N*H) per chunk
    uint has_bias, gb_off, gb_chunk_stride;
};

// 4 values of row `row` starting at x (a multiple of 4), zero at x >= W.
vec4 load4(samplerBuffer t, uint row, uint x) {
    if (VEC == 4) return texelFetch(t, int((row + x) / 4u));
    vec4 v;
    for (uint j = 0; j < 4u; j++) {
        float e = texelFetch(t, int(row + min(x + j, W - 1u))).x;
        v[j] = x + j < W ? e : 0.0;
    }
    return v;
}
float load1(uint row, int x) {
    float e = texelFetch(In, VEC == 4 ? int(row / 4u) + clamp(x, 0, int(W) - 1) / 4
                                      : int(row) + clamp(x, 0, int(W) - 1))[VEC == 4 ? uint(x) & 3u : 0u];
    return x >= 0 && x < int(W) ? e : 0.0;
}

void main() {
    uint idx = hb_global_index();
    if (idx >= total) return;
    uint cib = idx % ciblocks, t = idx / ciblocks;
    uint cob = t % coblocks, s = t / coblocks;
    uint ci0 = cib * TI, co0 = cob * TC;
    uint r0 = s * chunk_rows, r1 = min(r0 + chunk_rows, N * H);

    float acc[TC][18]; // TI * KK <= 18
    vec4 bsum[TC];
    for (uint c = 0; c < TC; c++) {
        for (uint j = 0; j < TI * KK; j++) acc[c][j] = 0.0;
        bsum[c] = vec4(0);
    }

    for (uint r = r0; r < r1; r++) {
        uint n = r / H, y = r % H;
        for (uint x = 0; x < W; x += 4u) {
            vec4 g[TC];
            [[unroll]] for (uint c = 0; c < TC; c++) {
                uint co = min(co0 + c, cout - 1u);
                g[c] = load4(Gout, g_off + ((n * cout + co) * H + y) * W, x);
                bsum[c] += g[c];
            }
            if (K == 1u) {
                [[unroll]] for (uint i = 0; i < TI; i++) {
                    uint ci = min(ci0 + i, cin - 1u);
                    vec4 v = load4(In, in_off + ((n * cin + ci) * H + y) * W, x);
                    [[unroll]] for (uint c = 0; c < TC; c++) acc[c][i] += dot(g[c], v);
                }
            } else {
                [[unroll]] for (uint i = 0; i < TI; i++)
                [[unroll]] for (uint ky = 0; ky < K; ky++) {
                    // rows outside the image read as zero; no branch, so the loop unrolls
                    // and acc stays in registers
                    int iy = int(y + ky) - P;
                    float inside = iy >= 0 && iy < int(H) ? 1.0 : 0.0;
                    uint row = in_off + ((n * cin + min(ci0 + i, cin - 1u)) * H + uint(clamp(iy, 0, int(H) - 1))) * W;
                    vec4 mid = inside * load4(In, row, x);
                    float lo = inside * load1(row, int(x) - 1), hi = inside * load1(row, int(x) + 4);
                    vec4 win[3] = {vec4(lo, mid.xyz), mid, vec4(mid.yzw, hi)};
                    [[unroll]] for (uint c = 0; c < TC; c++)
                        [[unroll]] for (uint kx = 0; kx < K; kx++) acc[c][i * KK + ky * K + kx] += dot(g[c], win[kx]);
                }
            }
        }
    }
    for (uint c = 0; c < TC; c++) {
        uint co = co0 + c;
        if (co >= cout) break;
        if (has_bias != 0u && cib == 0u)
            imageStore(Gb, int(gb_off + s * gb_chunk_stride + co), vec4(dot(bsum[c], vec4(1))));
        for (uint i = 0; i < TI; i++) {
            uint ci = ci0 + i;
            if (ci >= cin) break;
            for (uint j = 0; j < KK; j++)
                imageStore(Dst, int(dst_off + s * cout * cin * KK + (co * cin + ci) * KK + j),
                           vec4(acc[c][i * KK + j]));
        }
    }
}
