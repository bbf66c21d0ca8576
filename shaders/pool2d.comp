#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
// K x K max or average pooling with stride and zero padding, forward only (src/ops/pool2d.c):
// the max ignores the padding, the average divides by the taps inside the image (PyTorch's
// count_include_pad=False, TensorFlow's SAME pooling). Writes into a channel range of an output
// that may hold more channels (a concatenation's branch). One output per invocation.
#define HB_KERNEL_1D
#include "common.glsl"
layout(constant_id = 1) const uint K = 3;
layout(constant_id = 2) const uint IS_MAX = 0;

layout(binding = 0) uniform samplerBuffer X;         // x [N][C][H][W]
layout(binding = 1) uniform writeonly imageBuffer Y; // y [N][c_total][Ho][Wo]

layout(push_constant) uniform PC {
    uint total; // N * C * Ho * Wo
    uint C, H, W, Ho, Wo, stride, pad;
    uint x_off, y_off, c_off, c_total;
};

void main() {
    uint i = hb_global_index();
    if (i >= total) return;
    uint ox = i % Wo, r = i / Wo;
    uint oy = r % Ho, plane = r / Ho; // plane = n * C + c
    uint c = plane % C, n = plane / C;
    int iy0 = int(oy * stride) - int(pad), ix0 = int(ox * stride) - int(pad);
    float acc = IS_MAX != 0u ? -3.402823466e38 : 0.0, count = 0.0;
    [[unroll]] for (uint ky = 0u; ky < K; ky++) {
        int iy = iy0 + int(ky);
        if (iy < 0 || iy >= int(H)) continue;
        [[unroll]] for (uint kx = 0u; kx < K; kx++) {
            int ix = ix0 + int(kx);
            if (ix < 0 || ix >= int(W)) continue;
            float v = texelFetch(X, int(x_off + (plane * H + uint(iy)) * W + uint(ix))).x;
            acc = IS_MAX != 0u ? max(acc, v) : acc + v;
            count += 1.0;
        }
    }
    float y = IS_MAX != 0u ? acc : acc / count;
    imageStore(Y, int(y_off + ((n * c_total + c_off + c) * Ho + oy) * Wo + ox), vec4(y));
}
