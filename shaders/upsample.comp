#version 450
#extension GL_GOOGLE_include_directive : require
// 2x upsampling (src/ops/upsample.c). Both backward passes gather (each input pixel sums the
// output pixels that reference it): no atomics, and the summation order is fixed, so results
// are deterministic.
//
// Blocked bilinear path (BX > 0; W % 4 == 0 and both tensors vec4-aligned, X bound RGBA32F):
// with half-pixel centres the 2x weights are fixed. Along an axis, with clamped indices
// (a[-1] = a[0], a[len] = a[len-1]) the forward is
//     out[2j] = 0.25 a[j-1] + 0.75 a[j],   out[2j+1] = 0.75 a[j] + 0.25 a[j+1]
// (exactly PyTorch's align_corners=False taps, border included), and its transpose is
//     g_in[j] = 0.75 (g[2j] + g[2j+1]) + 0.25 (g[2j-1] + g[2j+2])
// with g[-1] = g[0] and g[2len] = g[2len-1] (the border output of weight 1 is the 0.75 tap plus
// the folded 0.25 tap). Both are separable; each invocation handles RY input rows x BX input
// vec4 columns, fetching its input window once, with one division for its position.
//
// Scalar path (BX == 0): each invocation writes VEC consecutive outputs (4 when the output is
// vec4-aligned: bound as RGBA32F), each computed on its own; used for nearest and odd shapes.
#define HB_KERNEL_1D
#include "common.glsl"
layout(constant_id = 1) const uint OP = 0;
layout(constant_id = 2) const uint VEC = 1;
layout(constant_id = 3) const uint RY = 1; // blocked: input rows per invocation (1 or 2)
layout(constant_id = 4) const uint BX = 0; // blocked: input vec4 columns per invocation; 0: scalar path
#define MAXR 2
#define MAXB 4

const uint BILINEAR = 0, BILINEAR_BWD = 1, NEAREST = 2, NEAREST_BWD = 3;

layout(binding = 0) uniform samplerBuffer X; // forward: x [planes][H][W]; backward: gy [planes][2H][2W]
layout(binding = 1) uniform writeonly imageBuffer Y;

layout(push_constant) uniform PC {
    uint n;          // output elements / VEC
    uint x_off, y_off; // x in floats, y in elements of its view
    uint H, W;       // the low-resolution size
    uint nbx, HR;    // blocked: invocations per row group (W/4/BX), row groups per plane (H/RY)
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

// Blocked path: n = planes * HR * nbx invocations; offsets in vec4s.
void blocked_forward(uint i) {
    uint W4 = W / 4u, rg = i / nbx, bx = i - rg * nbx;
    uint plane = rg / HR, j0 = (rg - plane * HR) * RY, c0 = bx * BX;
    uint xbase = x_off + plane * H * W4;
    // horizontal pass over input rows j0-1 .. j0+RY (clamped): even / odd output columns
    vec4 he[MAXR + 2][MAXB], ho[MAXR + 2][MAXB];
    for (uint k = 0u; k < RY + 2u; k++) {
        uint row = uint(clamp(int(j0 + k) - 1, 0, int(H) - 1));
        uint rb = xbase + row * W4;
        vec4 f[MAXB + 2];
        for (uint m = 0u; m < BX + 2u; m++)
            f[m] = texelFetch(X, int(rb + uint(clamp(int(c0 + m) - 1, 0, int(W4) - 1))));
        for (uint b = 0u; b < BX; b++) {
            vec4 a = f[b + 1u];
            float l = c0 + b == 0u ? a.x : f[b].w;
            float r = c0 + b == W4 - 1u ? a.w : f[b + 2u].x;
            he[k][b] = 0.25 * vec4(l, a.xyz) + 0.75 * a;
            ho[k][b] = 0.75 * a + 0.25 * vec4(a.yzw, r);
        }
    }
    uint W2v = 2u * W4; // output row in vec4s
    uint ybase = y_off + plane * 2u * H * W2v;
    for (uint rr = 0u; rr < RY; rr++) {
        uint k = rr + 1u, oy = 2u * (j0 + rr);
        for (uint b = 0u; b < BX; b++) {
            uint o = ybase + oy * W2v + 2u * (c0 + b);
            vec4 e0 = 0.25 * he[k - 1u][b] + 0.75 * he[k][b];
            vec4 o0 = 0.25 * ho[k - 1u][b] + 0.75 * ho[k][b];
            vec4 e1 = 0.75 * he[k][b] + 0.25 * he[k + 1u][b];
            vec4 o1 = 0.75 * ho[k][b] + 0.25 * ho[k + 1u][b];
            imageStore(Y, int(o), vec4(e0.x, o0.x, e0.y, o0.y));
            imageStore(Y, int(o + 1u), vec4(e0.z, o0.z, e0.w, o0.w));
            imageStore(Y, int(o + W2v), vec4(e1.x, o1.x, e1.y, o1.y));
            imageStore(Y, int(o + W2v + 1u), vec4(e1.z, o1.z, e1.w, o1.w));
        }
    }
}

void blocked_backward(uint i) { // X is gy [plane][2H][2W], Y is gx [plane][H][W]
    uint W4 = W / 4u, rg = i / nbx, bx = i - rg * nbx;
    uint plane = rg / HR, j0 = (rg - plane * HR) * RY, c0 = bx * BX;
    uint W2v = 2u * W4, H2 = 2u * H;
    uint gbase = x_off + plane * H2 * W2v;
    // horizontal transpose over gy rows 2j0-1 .. 2j0+2RY (clamped)
    vec4 hx[2 * MAXR + 2][MAXB];
    for (uint k = 0u; k < 2u * RY + 2u; k++) {
        uint row = uint(clamp(int(2u * j0 + k) - 1, 0, int(H2) - 1));
        uint rb = gbase + row * W2v;
        vec4 f[2 * MAXB + 2];
        for (uint m = 0u; m < 2u * BX + 2u; m++)
            f[m] = texelFetch(X, int(rb + uint(clamp(int(2u * c0 + m) - 1, 0, int(W2v) - 1))));
        for (uint b = 0u; b < BX; b++) {
            vec4 u = f[2u * b + 1u], v = f[2u * b + 2u];
            float l = c0 + b == 0u ? u.x : f[2u * b].w;
            float r = c0 + b == W4 - 1u ? v.w : f[2u * b + 3u].x;
            vec4 e = vec4(u.xz, v.xz), o = vec4(u.yw, v.yw);
            hx[k][b] = 0.75 * (e + o) + 0.25 * (vec4(l, u.y, u.w, v.y) + vec4(u.z, v.x, v.z, r));
        }
    }
    uint ybase = y_off + plane * H * W4;
    for (uint rr = 0u; rr < RY; rr++) {
        uint k = 2u * rr; // gy rows 2j-1, 2j, 2j+1, 2j+2 are k .. k+3
        for (uint b = 0u; b < BX; b++)
            imageStore(Y, int(ybase + (j0 + rr) * W4 + c0 + b),
                       0.75 * (hx[k + 1u][b] + hx[k + 2u][b]) + 0.25 * (hx[k][b] + hx[k + 3u][b]));
    }
}

void main() {
    uint i = hb_global_index();
    if (i >= n) return;
    if (BX > 0u) {
        if (OP == BILINEAR) blocked_forward(i);
        else blocked_backward(i);
        return;
    }
    vec4 r = vec4(0);
    for (uint k = 0u; k < VEC; k++) r[k] = value(i * VEC + k);
    imageStore(Y, int(y_off + i), r);
}
