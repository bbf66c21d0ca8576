#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
// K x K max or average pooling with stride and zero padding, forward only (src/ops/pool2d.c):
// the max ignores the padding, the average divides by the taps inside the image (PyTorch's
// count_include_pad=False, TensorFlow's SAME pooling). Writes into a channel range of an output
// that may hold more channels (a concatenation's branch). One output row per invocation,
// sliding along it: each column of the window (its K rows reduced) is read once and shifted
// along while the window overlaps it, STRIDE new columns per output instead of K x K taps.
#define HB_KERNEL_1D
#include "common.glsl"
layout(constant_id = 1) const uint K = 3;
layout(constant_id = 2) const uint IS_MAX = 0;
layout(constant_id = 3) const uint STRIDE = 1;
const float LOWEST = -3.402823466e38;

layout(binding = 0) uniform samplerBuffer X;         // x [N][C][H][W]
layout(binding = 1) uniform writeonly imageBuffer Y; // y [N][c_total][Ho][Wo]

layout(push_constant) uniform PC {
    uint total; // output rows: N * C * Ho
    uint C, H, W, Ho, Wo, pad;
    uint x_off, y_off, c_off, c_total;
};

// The window column at input column ix over rows [iy0, iy0 + K) clipped to the image: the max
// or sum of its taps, and 1 when it lies inside the image (else 0, and no taps)
vec2 column(uint base, int iy0, int ix) {
    if (ix < 0 || ix >= int(W)) return vec2(IS_MAX != 0u ? LOWEST : 0.0, 0.0);
    float acc = IS_MAX != 0u ? LOWEST : 0.0;
    [[unroll]] for (uint ky = 0u; ky < K; ky++) {
        int iy = iy0 + int(ky);
        if (iy < 0 || iy >= int(H)) continue;
        float v = texelFetch(X, int(base + uint(iy) * W + uint(ix))).x;
        acc = IS_MAX != 0u ? max(acc, v) : acc + v;
    }
    return vec2(acc, 1.0);
}

void main() {
    uint i = hb_global_index();
    if (i >= total) return;
    uint plane = i / Ho, oy = i - plane * Ho; // plane = n * C + c
    uint n = plane / C, c = plane - n * C;
    int iy0 = int(oy * STRIDE) - int(pad), ix0 = -int(pad);
    float rows = float(min(iy0 + int(K), int(H)) - max(iy0, 0)); // rows inside the image
    uint base = x_off + plane * H * W, out_row = y_off + ((n * c_total + c_off + c) * Ho + oy) * Wo;
    vec2 col[K];
    [[unroll]] for (uint j = 0u; j < K; j++) col[j] = column(base, iy0, ix0 + int(j));
    for (uint ox = 0u; ox < Wo; ox++) {
        if (ox > 0u)
            [[unroll]] for (uint j = 0u; j < K; j++)
                col[j] = j + STRIDE < K ? col[j + STRIDE] : column(base, iy0, ix0 + int(ox * STRIDE + j));
        float acc = IS_MAX != 0u ? LOWEST : 0.0, cols = 0.0;
        [[unroll]] for (uint j = 0u; j < K; j++) {
            acc = IS_MAX != 0u ? max(acc, col[j].x) : acc + col[j].x;
            cols += col[j].y;
        }
        imageStore(Y, int(out_row + ox), vec4(IS_MAX != 0u ? acc : acc / (rows * cols)));
    }
}
