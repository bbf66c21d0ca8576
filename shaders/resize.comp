#version 450
#extension GL_GOOGLE_include_directive : require
// Bilinear resize to any size with half-pixel centres (src/ops/resize.c), as PyTorch's
// F.interpolate(mode='bilinear', align_corners=False) computes it in float: source coordinate
// scale * (o + 0.5) - 0.5 with scale = in / out, clamped below at 0; taps i0 = floor and
// i0 + 1 (i0 at the last row or column); weights 1 - l and l. One output per invocation.
#define HB_KERNEL_1D
#include "common.glsl"

layout(binding = 0) uniform samplerBuffer X;         // x [N][C][H][W]
layout(binding = 1) uniform writeonly imageBuffer Y; // y [N][C][Ho][Wo]

layout(push_constant) uniform PC {
    uint total; // N * C * Ho * Wo
    uint H, W, Ho, Wo;
    uint x_off, y_off;
    float scale_h, scale_w; // H / Ho, W / Wo
};

void taps(uint o, uint len, float scale, out uint i0, out uint i1, out float l) {
    float src = max(scale * (float(o) + 0.5) - 0.5, 0.0);
    i0 = uint(src);
    i1 = i0 < len - 1u ? i0 + 1u : i0;
    l = clamp(src - float(i0), 0.0, 1.0);
}

void main() {
    uint i = hb_global_index();
    if (i >= total) return;
    uint ox = i % Wo, r = i / Wo;
    uint oy = r % Ho, plane = r / Ho;
    uint y0, y1, x0, x1;
    float ly, lx;
    taps(oy, H, scale_h, y0, y1, ly);
    taps(ox, W, scale_w, x0, x1, lx);
    uint base = x_off + plane * H * W;
    float a = texelFetch(X, int(base + y0 * W + x0)).x, b = texelFetch(X, int(base + y0 * W + x1)).x;
    float c = texelFetch(X, int(base + y1 * W + x0)).x, d = texelFetch(X, int(base + y1 * W + x1)).x;
    float y = (1.0 - ly) * ((1.0 - lx) * a + lx * b) + ly * ((1.0 - lx) * c + lx * d);
    imageStore(Y, int(y_off + i), vec4(y));
}
