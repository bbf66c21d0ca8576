#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
// Stride-1 convolution as an implicit GEMM (src/ops/conv2d.c). Each invocation computes
// 16 output channels x 8 consecutive pixels of one output row. The same kernel runs the
// backward-data pass: that is a convolution of gout with the weights' channel roles swapped
// (strides s_o, s_i) and the taps flipped (tap_base, tap_step), so weights are never repacked.
// VEC = 4 when W and every tensor offset are multiples of 4: input rows, old and new output
// are then read and written as vec4 (RGBA32F views).
// WMODE picks how weights are read (with scalar reads they cost as much as the arithmetic):
//   0: one float per tap, any layout;
//   1: forward, cin % 4 == 0: the taps of 4 consecutive input channels of one output channel
//      are 4*K*K contiguous floats starting on a vec4 boundary;
//   2: backward data, channel count % 4 == 0: for one input channel, the flipped taps of the
//      tile's 16 output channels are 16*K*K contiguous floats starting on a vec4 boundary.
// In modes 1 and 2 each vec4 is fetched once per use site; the loop body is one basic block
// so the compiler merges the repeated fetches of a vec4.
#define HB_KERNEL_1D
#include "common.glsl"
layout(constant_id = 1) const uint K = 3;
layout(constant_id = 2) const uint VEC = 1;
layout(constant_id = 3) const uint WMODE = 0;
const int P = int(K) / 2;
const uint KK = K * K;
const uint CG = WMODE == 1u ? 4u : 1u; // input channels per step of the channel loop
const uint TC = 16, TX = 8; // output channels, pixels per invocation
const uint TV = TX / 4;     // vec4s per output row tile

layout(binding = 0) uniform samplerBuffer In;
layout(binding = 1) uniform samplerBuffer Wt;
layout(binding = 2) uniform samplerBuffer Bias;
layout(binding = 3) uniform samplerBuffer Old; // the output's previous value (accumulate)
layout(binding = 4) uniform writeonly imageBuffer Out;

layout(push_constant) uniform PC {
    uint total;         // invocations: co blocks * N * H * x blocks
    uint xblocks, N, cin, cout, H, W;
    uint in_off, w_off, b_off, out_off; // in floats
    uint s_o, s_i;      // weight strides of output and input channel
    int tap_base, tap_step;
    uint has_bias, accumulate;
    uint w_last4; // last vec4 of the weights (WMODE 2 reads past the last channel's taps)
};

// Input row window x0-P .. x0+TX+P-1 of one row, zero outside the image.
void load_window(uint row, int x0, out float win[TX + 2]) {
    if (VEC == 4) {
        // x0 and row are multiples of 4, so the window is TV aligned vec4s plus one
        // element on each side taken from the neighbouring vec4s.
        int r4 = int(row / 4u), w4 = int(W / 4u), b4 = x0 / 4;
        [[unroll]] for (int v = 0; v < int(TV); v++) {
            vec4 m = b4 + v < w4 ? texelFetch(In, r4 + b4 + v) : vec4(0);
            [[unroll]] for (uint j = 0; j < 4u; j++) win[P + 4 * v + j] = m[j];
        }
        if (P == 1) {
            win[0] = b4 > 0 ? texelFetch(In, r4 + b4 - 1).w : 0.0;
            win[TX + 1] = b4 + int(TV) < w4 ? texelFetch(In, r4 + b4 + int(TV)).x : 0.0;
        }
    } else {
        [[unroll]] for (uint j = 0; j < TX + K - 1; j++) {
            int x = x0 + int(j) - P;
            float v = texelFetch(In, int(row) + clamp(x, 0, int(W) - 1)).x;
            win[j] = x >= 0 && x < int(W) ? v : 0.0;
        }
    }
}

void main() {
    uint idx = hb_global_index();
    if (idx >= total) return;
    // x block fastest, then row, image, channel block: neighbouring lanes share weights
    uint xb = idx % xblocks, t = idx / xblocks;
    uint y = t % H;
    t /= H;
    uint n = t % N, co0 = (t / N) * TC;
    int x0 = int(xb * TX);

    uint wrow[TC]; // weight row of each output channel, clamped so reads stay in range
    vec4 acc[TC][TV];
    [[unroll]] for (uint c = 0; c < TC; c++) {
        uint co = min(co0 + c, cout - 1);
        wrow[c] = w_off + co * s_o;
        float b = has_bias != 0u ? texelFetch(Bias, int(b_off + co)).x : 0.0;
        [[unroll]] for (uint v = 0; v < TV; v++) acc[c][v] = vec4(b);
    }
    for (uint ci0 = 0; ci0 < cin; ci0 += CG) {
        [[unroll]] for (uint j = 0; j < CG; j++) {
            uint ci = ci0 + j;
            uint plane = in_off + (n * cin + ci) * H * W;
            [[unroll]] for (uint ky = 0; ky < K; ky++) {
                // rows outside the image get zero weights instead of a branch, keeping the
                // body one basic block
                int iy = int(y + ky) - P;
                float inside = iy >= 0 && iy < int(H) ? 1.0 : 0.0;
                float win[TX + 2];
                load_window(plane + uint(clamp(iy, 0, int(H) - 1)) * W, x0, win);
                [[unroll]] for (uint c = 0; c < TC; c++) {
                    [[unroll]] for (uint kx = 0; kx < K; kx++) {
                        uint tap = ky * K + kx;
                        float wv;
                        if (WMODE == 0u) {
                            wv = texelFetch(Wt, int(wrow[c] + ci * s_i) + tap_base + tap_step * int(tap)).x;
                        } else if (WMODE == 1u) {
                            uint e = j * KK + tap;
                            wv = texelFetch(Wt, int((wrow[c] + ci0 * KK) / 4u + e / 4u))[e % 4u];
                        } else {
                            uint e = c * KK + KK - 1u - tap;
                            uint i4 = (w_off + ci * s_i + co0 * KK) / 4u + e / 4u;
                            wv = texelFetch(Wt, int(min(i4, w_last4)))[e % 4u];
                        }
                        wv *= inside;
                        [[unroll]] for (uint v = 0; v < TV; v++)
                            acc[c][v] += wv * vec4(win[kx + 4 * v], win[kx + 4 * v + 1],
                                                   win[kx + 4 * v + 2], win[kx + 4 * v + 3]);
                    }
                }
            }
        }
    }
    [[unroll]] for (uint c = 0; c < TC; c++) {
        uint co = co0 + c;
        if (co >= cout) break;
        uint o = out_off + ((n * cout + co) * H + y) * W + uint(x0);
        if (VEC == 4) {
            [[unroll]] for (uint j = 0; j < TV; j++) {
                if (uint(x0) + 4u * j >= W) break;
                vec4 v = acc[c][j];
                if (accumulate != 0u) v += texelFetch(Old, int(o / 4u + j));
                imageStore(Out, int(o / 4u + j), v);
            }
        } else {
            [[unroll]] for (uint j = 0; j < TX; j++) {
                if (uint(x0) + j >= W) break;
                float v = acc[c][j / 4u][j % 4u];
                if (accumulate != 0u) v += texelFetch(Old, int(o + j)).x;
                imageStore(Out, int(o + j), vec4(v));
            }
        }
    }
}
