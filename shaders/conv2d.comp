#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
// Stride-1 convolution as an implicit GEMM (src/ops/conv2d.c). Each invocation computes
// TC output channels x TY rows x TX consecutive pixels (spec constants: 16x1x8 for wide
// layers, few channels and more pixels when the output has 1..4 channels). The same kernel
// runs the backward-data pass: that is a convolution of gout with the weights' channel roles
// swapped (strides s_o, s_i) and the taps flipped (tap_base, tap_step), so weights are never
// repacked.
// VEC = 4 when W and every tensor offset are multiples of 4: input rows, old and new output
// (and the mask) are then read and written as vec4 (RGBA32F views).
// HAS_MASK (backward data through a relu): out = [mask > 0] * result (+ old), the relu's
// backward pass fused into the convolution's. RELU_OUT (forward into a relu): max(result, 0).
// WMODE picks how weights are read (with scalar reads they cost as much as the arithmetic):
//   0: one float per tap, any layout;
//   1: forward, cin % 4 == 0: the taps of 4 consecutive input channels of one output channel
//      are 4*K*K contiguous floats starting on a vec4 boundary;
//   2: backward data, channel count % 4 == 0: for one input channel, the flipped taps of the
//      tile's TC output channels are TC*K*K contiguous floats starting on a vec4 boundary;
//   3: small strides known at compile time (S_O, S_I, FLIP): the weights of one step of the
//      channel loop (TC output x CG input channels) start on a vec4 boundary at
//      w_off + co0*S_O + ci0*S_I and every element's place after that is a constant
//      (conv2d.c uses it for stems, cin = CG = 1..3, one step).
// In modes 1..3 each vec4 is fetched once per use site; the loop body is one basic block
// so the compiler merges the repeated fetches of a vec4.
#define HB_KERNEL_1D
#include "common.glsl"
layout(constant_id = 1) const uint K = 3;
layout(constant_id = 2) const uint VEC = 1;
layout(constant_id = 3) const uint WMODE = 0;
layout(constant_id = 4) const uint TC = 16; // output channels per invocation
layout(constant_id = 5) const uint TY = 1;  // rows per invocation
layout(constant_id = 6) const uint TX = 8;  // pixels per row (multiple of 4)
layout(constant_id = 7) const uint S_O = 0; // WMODE 3: weight strides of output and input
layout(constant_id = 8) const uint S_I = 0; //   channel, input channels per step, taps
layout(constant_id = 9) const uint CG3 = 1; //   flipped
layout(constant_id = 10) const uint FLIP = 0;
// The epilogue, fixed per pipeline: lavapipe runs both sides of every branch (with masks), so
// a flag read at run time would cost its texel fetches even when off.
layout(constant_id = 11) const uint HAS_BIAS = 0;
layout(constant_id = 12) const uint ACCUMULATE = 0;
layout(constant_id = 13) const uint HAS_MASK = 0;
layout(constant_id = 14) const uint RELU_OUT = 0;
const int P = int(K) / 2;
const uint KK = K * K;
const uint CG = WMODE == 1u ? 4u : WMODE == 3u ? CG3 : 1u; // input channels per loop step
const uint TV = TX / 4;     // vec4s per output row tile
const uint WIN = TX + 2u;   // input row window (K <= 3)
// rows outside the image (none when K = 1): zero the window or the weights, whichever is
// fewer products
// (conditions on specialisation constants are written in the code: lavapipe rejects some
// boolean specialisation constant expressions)

layout(binding = 0) uniform samplerBuffer In;
layout(binding = 1) uniform samplerBuffer Wt;
layout(binding = 2) uniform samplerBuffer Bias;
layout(binding = 3) uniform samplerBuffer Old; // the output's previous value (ACCUMULATE)
layout(std430, binding = 4) writeonly buffer Out4b { HbF4 Out4[]; }; // VEC == 4 (wide stores)
layout(std430, binding = 4) writeonly buffer Out1b { float Out1[]; };
layout(binding = 5) uniform samplerBuffer Mask; // the relu's input (HAS_MASK)

layout(push_constant) uniform PC {
    uint total;         // invocations: co blocks * N * y blocks * x blocks
    uint xblocks, N, cin, cout, H, W;
    uint in_off, w_off, b_off, old_off; // in floats
    uint out_off;       // in the output's storage window
    uint s_o, s_i;      // weight strides of output and input channel
    int tap_base, tap_step;
    uint w_last4; // last vec4 of the weights (WMODE 2, 3 read past the last channel's taps)
    uint yblocks;
    uint mask_off;
};

void main() {
    uint idx = hb_global_index();
    if (idx >= total) return;
    // x block fastest, then row block, image, channel block: neighbouring lanes share weights
    uint t = udiv(idx, xblocks), xb = idx - t * xblocks;
    uint t2 = udiv(t, yblocks), y0 = (t - t2 * yblocks) * TY;
    uint t3 = udiv(t2, N), n = t2 - t3 * N, co0 = t3 * TC;
    int x0 = int(xb * TX);

    uint wrow[TC]; // weight row of each output channel, clamped so reads stay in range
    vec4 acc[TC][TY][TV];
    [[unroll]] for (uint c = 0; c < TC; c++) {
        uint co = min(co0 + c, cout - 1);
        wrow[c] = w_off + co * s_o;
        float b = HAS_BIAS != 0u ? texelFetch(Bias, int(b_off + co)).x : 0.0;
        [[unroll]] for (uint r = 0; r < TY; r++)
            [[unroll]] for (uint v = 0; v < TV; v++) acc[c][r][v] = vec4(b);
    }
    int w4 = int(W / 4u), b4 = x0 / 4;
    for (uint ci0 = 0; ci0 < cin; ci0 += CG) {
        uint wbase4 = (w_off + co0 * S_O + ci0 * S_I) / 4u; // WMODE 3
        [[unroll]] for (uint j = 0; j < CG; j++) {
            uint ci = ci0 + j;
            uint plane = in_off + (n * cin + ci) * H * W;
            [[unroll]] for (uint ri = 0; ri < TY + K - 1u; ri++) {
                // rows outside the image get zero weights (or a zero window) instead of a
                // branch, keeping the body one basic block
                int iy = int(y0 + ri) - P;
                float inside = iy >= 0 && iy < int(H) ? 1.0 : 0.0;
                uint row = plane + uint(clamp(iy, 0, int(H) - 1)) * W;
                // input row window x0-P .. x0+TX+P-1, zero outside the image
                float win[WIN];
                if (VEC == 4) {
                    // x0 and row are multiples of 4, so the window is TV aligned vec4s plus
                    // one element on each side taken from the neighbouring vec4s.
                    int r4 = int(row / 4u);
                    [[unroll]] for (int v = 0; v < int(TV); v++) {
                        vec4 m = b4 + v < w4 ? texelFetch(In, r4 + b4 + v) : vec4(0);
                        [[unroll]] for (uint e = 0; e < 4u; e++) win[P + 4 * v + e] = m[e];
                    }
                    if (P == 1) {
                        win[0] = b4 > 0 ? texelFetch(In, r4 + b4 - 1).w : 0.0;
                        win[TX + 1] = b4 + int(TV) < w4 ? texelFetch(In, r4 + b4 + int(TV)).x : 0.0;
                    }
                } else {
                    [[unroll]] for (uint e = 0; e < TX + K - 1; e++) {
                        int x = x0 + int(e) - P;
                        float v = texelFetch(In, int(row) + clamp(x, 0, int(W) - 1)).x;
                        win[e] = x >= 0 && x < int(W) ? v : 0.0;
                    }
                }
                if (K > 1u && TC * K > WIN)
                    [[unroll]] for (uint e = 0; e < WIN; e++) win[e] *= inside;
                [[unroll]] for (uint r = 0; r < TY; r++) {
                    int ky = int(ri) - int(r);
                    if (ky < 0 || ky >= int(K)) continue;
                    [[unroll]] for (uint c = 0; c < TC; c++) {
                        [[unroll]] for (uint kx = 0; kx < K; kx++) {
                            uint tap = uint(ky) * K + kx;
                            float wv;
                            if (WMODE == 0u) {
                                wv = texelFetch(Wt, int(wrow[c] + ci * s_i) + tap_base + tap_step * int(tap)).x;
                            } else if (WMODE == 1u) {
                                uint e = j * KK + tap;
                                wv = texelFetch(Wt, int((wrow[c] + ci0 * KK) / 4u + e / 4u))[e % 4u];
                            } else if (WMODE == 2u) {
                                uint e = c * KK + KK - 1u - tap;
                                uint i4 = (w_off + ci * s_i + co0 * KK) / 4u + e / 4u;
                                wv = texelFetch(Wt, int(min(i4, w_last4)))[e % 4u];
                            } else {
                                uint e = c * S_O + j * S_I + (FLIP != 0u ? KK - 1u - tap : tap);
                                wv = texelFetch(Wt, int(min(wbase4 + e / 4u, w_last4)))[e % 4u];
                            }
                            if (K > 1u && TC * K <= WIN) wv *= inside;
                            [[unroll]] for (uint v = 0; v < TV; v++)
                                acc[c][r][v] += wv * vec4(win[kx + 4 * v], win[kx + 4 * v + 1],
                                                          win[kx + 4 * v + 2], win[kx + 4 * v + 3]);
                        }
                    }
                }
            }
        }
    }
    [[unroll]] for (uint r = 0; r < TY; r++) {
        uint y = y0 + r;
        if (y >= H) break;
        [[unroll]] for (uint c = 0; c < TC; c++) {
            uint co = co0 + c;
            if (co >= cout) break;
            uint e = ((n * cout + co) * H + y) * W + uint(x0), o = out_off + e, m = mask_off + e,
                 old = old_off + e;
            if (VEC == 4) {
                [[unroll]] for (uint j = 0; j < TV; j++) {
                    if (uint(x0) + 4u * j >= W) break;
                    vec4 v = acc[c][r][j];
                    if (RELU_OUT != 0u) v = max(v, vec4(0));
                    if (HAS_MASK != 0u)
                        v = mix(vec4(0), v, greaterThan(texelFetch(Mask, int(m / 4u + j)), vec4(0)));
                    if (ACCUMULATE != 0u) v += texelFetch(Old, int(old / 4u + j));
                    Out4[o / 4u + j] = hb_f4(v);
                }
            } else {
                [[unroll]] for (uint j = 0; j < TX; j++) {
                    if (uint(x0) + j >= W) break;
                    float v = acc[c][r][j / 4u][j % 4u];
                    if (RELU_OUT != 0u) v = max(v, 0.0);
                    if (HAS_MASK != 0u && !(texelFetch(Mask, int(m + j)).x > 0.0)) v = 0.0;
                    if (ACCUMULATE != 0u) v += texelFetch(Old, int(old + j)).x;
                    Out1[o + j] = v;
                }
            }
        }
    }
}
