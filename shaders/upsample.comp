#version 450
#extension GL_GOOGLE_include_directive : require
// 2x upsampling (src/ops/upsample.c). Each invocation writes VEC consecutive outputs (4 when
// the output is vec4-aligned: bound as RGBA32F), each computed on its own. Both backward passes
// gather (each input pixel sums the output pixels that reference it): no atomics, and the
// summation order is fixed, so results are deterministic.
#define HB_KERNEL_1D
#include "common.glsl"
layout(constant_id = 1) const uint OP = 0;
layout(constant_id = 2) const uint VEC = 1;

const uint BILINEAR = 0, BILINEAR_BWD = 1, NEAREST = 2, NEAREST_BWD = 3;

layout(binding = 0) uniform samplerBuffer X; // forward: x [planes][H][W]; backward: gy [planes][2H][2W]
layout(binding = 1) uniform writeonly imageBuffer Y;

layout(push_constant) uniform PC {
    uint n;          // output elements / VEC
    uint x_off, y_off; // x in floats, y in elements of its view
    uint H, W;       // the low-resolution size
};

float x_at(uint i) { return texelFetch(X, int(x_off + i)).x; }

// PyTorch's align_corners=False source index for output o of a size-`len` axis upsampled 2x:
// src = max(0, (o + 0.5) / 2 - 0.5), i0 = floor(src), i1 = min(i0 + 1, len - 1), lambda = src - i0.
// All values are exact in float.
void taps(uint o, uint len, out uint i0, out uint i1, out float l) {
    float src = max(0.0, (float(o) + 0.5) * 0.5 - 0.5);
    i0 = uint(src);
    i1 = min(i0 + 1u, len - 1u);
    l = src - float(i0);
}

// Weight with which output o of the upsampled axis reads input i.
float weight(uint o, uint i, uint len) {
    uint i0, i1;
    float l;
    taps(o, len, i0, i1, l);
    return (i0 == i ? 1.0 - l : 0.0) + (i1 == i ? l : 0.0);
}

// Output element i (a float index).
float value(uint i) {
    float r;
    if (OP == BILINEAR || OP == NEAREST) { // i = (plane * 2H + oy) * 2W + ox
        uint W2 = 2u * W, row = i / W2, ox = i - row * W2, plane = row / (2u * H), oy = row - plane * 2u * H;
        uint base = plane * H * W;
        if (OP == NEAREST) r = x_at(base + (oy / 2u) * W + ox / 2u);
        else {
            uint y0, y1, x0, x1;
            float ly, lx;
            taps(oy, H, y0, y1, ly);
            taps(ox, W, x0, x1, lx);
            float top = (1.0 - lx) * x_at(base + y0 * W + x0) + lx * x_at(base + y0 * W + x1);
            float bot = (1.0 - lx) * x_at(base + y1 * W + x0) + lx * x_at(base + y1 * W + x1);
            r = (1.0 - ly) * top + ly * bot;
        }
    } else { // i = (plane * H + iy) * W + ix; X is gy [plane][2H][2W]
        uint row = i / W, ix = i - row * W, plane = row / H, iy = row - plane * H;
        uint W2 = 2u * W, base = plane * 4u * H * W;
        if (OP == NEAREST_BWD) {
            uint o = base + 2u * iy * W2 + 2u * ix;
            r = (x_at(o) + x_at(o + 1u)) + (x_at(o + W2) + x_at(o + W2 + 1u));
        } else {
            // Only outputs 2i-1 .. 2i+2 of an axis reference input i (weight() is 0 elsewhere,
            // including where the clamp at the border folds a tap onto i).
            r = 0.0;
            for (int dy = -1; dy <= 2; dy++) {
                int oy = 2 * int(iy) + dy;
                if (oy < 0 || oy >= int(2u * H)) continue;
                float wy = weight(uint(oy), iy, H);
                if (wy == 0.0) continue;
                float s = 0.0;
                for (int dx = -1; dx <= 2; dx++) {
                    int ox = 2 * int(ix) + dx;
                    if (ox < 0 || ox >= int(W2)) continue;
                    s += weight(uint(ox), ix, W) * x_at(base + uint(oy) * W2 + uint(ox));
                }
                r += wy * s;
            }
        }
    }
    return r;
}

void main() {
    uint i = hb_global_index();
    if (i >= n) return;
    vec4 r = vec4(0);
    for (uint k = 0u; k < VEC; k++) r[k] = value(i * VEC + k);
    imageStore(Y, int(y_off + i), r);
}
