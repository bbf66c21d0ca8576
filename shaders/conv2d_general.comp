#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
// Direct convolution of any kernel size, stride and zero padding, forward only
// (src/ops/conv2d_general.c): out = relu?(conv(in, w) + b), written into a channel range of an
// output that may hold more channels (a concatenation's branch). Each invocation computes TC
// output channels x TX consecutive output pixels of one row: every input value it loads serves
// TC products, every weight TX. PREPARED: the weights come in the layout
// shaders/conv2d_general_weights.comp makes, TC output channels of a tap side by side, read
// as vec4s (Wt bound RGBA32F): about 1.5x faster on lavapipe than TC scalar reads.
#define HB_KERNEL_1D
#include "common.glsl"
layout(constant_id = 1) const uint KH = 3;
layout(constant_id = 2) const uint KW = 3;
layout(constant_id = 3) const uint STRIDE = 1;
layout(constant_id = 4) const uint HAS_BIAS = 0;
layout(constant_id = 5) const uint RELU = 0;
layout(constant_id = 6) const uint PREPARED = 0;
#define TC 16u
#define TX 4u

layout(binding = 0) uniform samplerBuffer X;  // in [N][cin][H][W]
layout(binding = 1) uniform samplerBuffer Wt; // w [cout][cin][KH][KW], or prepared [coblocks][cin][KH][KW][TC]
layout(binding = 2) uniform samplerBuffer B;  // b [cout] (HAS_BIAS)
layout(binding = 3) uniform writeonly imageBuffer Y; // out [N][c_total][Ho][Wo]

layout(push_constant) uniform PC {
    uint total;                  // invocations
    uint cin, cout, H, W, Ho, Wo;
    uint pad_h, pad_w;
    uint xblocks, coblocks;      // TX-pixel blocks per output row, TC-channel blocks
    uint in_off, w_off, b_off, y_off;
    uint c_off, c_total;         // output channels: this conv's first, and per image in all
};

void main() {
    uint i = hb_global_index();
    if (i >= total) return;
    // i = ((n * coblocks + cb) * Ho + oy) * xblocks + xb
    uint xb = i % xblocks, r = i / xblocks;
    uint oy = r % Ho;
    r /= Ho;
    uint cb = r % coblocks, n = r / coblocks;
    uint co0 = cb * TC, ox0 = xb * TX;
    float acc[TC][TX];
    [[unroll]] for (uint c = 0u; c < TC; c++)
        [[unroll]] for (uint t = 0u; t < TX; t++) acc[c][t] = 0.0;
    int iy0 = int(oy * STRIDE) - int(pad_h), ix0 = int(ox0 * STRIDE) - int(pad_w);
    uint taps = KH * KW;
    for (uint ci = 0u; ci < cin; ci++) {
        uint plane = in_off + (n * cin + ci) * H * W;
        [[unroll]] for (uint ky = 0u; ky < KH; ky++) {
            int iy = iy0 + int(ky);
            if (iy < 0 || iy >= int(H)) continue;
            [[unroll]] for (uint kx = 0u; kx < KW; kx++) {
                float v[TX];
                [[unroll]] for (uint t = 0u; t < TX; t++) {
                    int ix = ix0 + int(t * STRIDE + kx);
                    v[t] = ix >= 0 && ix < int(W) ? texelFetch(X, int(plane + uint(iy) * W + uint(ix))).x : 0.0;
                }
                uint tap = ci * taps + ky * KW + kx;
                if (PREPARED != 0u) {
                    uint w4 = (w_off + (cb * cin * taps + tap) * TC) / 4u;
                    [[unroll]] for (uint q = 0u; q < TC / 4u; q++) {
                        vec4 wv = texelFetch(Wt, int(w4 + q));
                        [[unroll]] for (uint t = 0u; t < TX; t++) {
                            acc[4u * q][t] += wv.x * v[t];
                            acc[4u * q + 1u][t] += wv.y * v[t];
                            acc[4u * q + 2u][t] += wv.z * v[t];
                            acc[4u * q + 3u][t] += wv.w * v[t];
                        }
                    }
                } else {
                    [[unroll]] for (uint c = 0u; c < TC; c++) {
                        // channels past cout read clamped weights; their results are not stored
                        float wv = texelFetch(Wt, int(w_off + min(co0 + c, cout - 1u) * cin * taps + tap)).x;
                        [[unroll]] for (uint t = 0u; t < TX; t++) acc[c][t] += wv * v[t];
                    }
                }
            }
        }
    }
    [[unroll]] for (uint c = 0u; c < TC; c++) {
        uint co = co0 + c;
        if (co >= cout) break;
        float bias = HAS_BIAS != 0u ? texelFetch(B, int(b_off + co)).x : 0.0;
        uint row = y_off + ((n * c_total + c_off + co) * Ho + oy) * Wo;
        [[unroll]] for (uint t = 0u; t < TX; t++) {
            if (ox0 + t >= Wo) break;
            float s = acc[c][t] + bias;
            imageStore(Y, int(row + ox0 + t), vec4(RELU != 0u ? max(s, 0.0) : s));
        }
    }
}
