/* References for src/ops/upsample.c. Bilinear follows PyTorch (align_corners=False): for
 * output o, src = max(0, (o + 0.5)/2 - 0.5), taps floor(src) and min(floor(src)+1, len-1). */
#include <math.h>

#include "ref/ref.h"

static void taps(int o, int len, int *i0, int *i1, double *l) {
    double src = fmax(0.0, (o + 0.5) / 2 - 0.5);
    *i0 = (int)floor(src);
    *i1 = *i0 + 1 < len ? *i0 + 1 : len - 1;
    *l = src - *i0;
}

void ref_upsample2_bilinear(double *y, const double *x, int N, int C, int H, int W) {
    for (int pl = 0; pl < N * C; pl++)
        for (int oy = 0; oy < 2 * H; oy++)
            for (int ox = 0; ox < 2 * W; ox++) {
                int y0, y1, x0, x1;
                double ly, lx;
                taps(oy, H, &y0, &y1, &ly);
                taps(ox, W, &x0, &x1, &lx);
                const double *p = x + (size_t)pl * H * W;
                y[((size_t)pl * 2 * H + oy) * 2 * W + ox] =
                    (1 - ly) * ((1 - lx) * p[y0 * W + x0] + lx * p[y0 * W + x1]) +
                    ly * ((1 - lx) * p[y1 * W + x0] + lx * p[y1 * W + x1]);
            }
}
/* The transpose of the forward, written as a scatter. */
void ref_upsample2_bilinear_backward(double *gx, const double *gy, int N, int C, int H, int W) {
    for (size_t i = 0; i < (size_t)N * C * H * W; i++) gx[i] = 0;
    for (int pl = 0; pl < N * C; pl++)
        for (int oy = 0; oy < 2 * H; oy++)
            for (int ox = 0; ox < 2 * W; ox++) {
                int y0, y1, x0, x1;
                double ly, lx;
                taps(oy, H, &y0, &y1, &ly);
                taps(ox, W, &x0, &x1, &lx);
                double g = gy[((size_t)pl * 2 * H + oy) * 2 * W + ox];
                double *p = gx + (size_t)pl * H * W;
                p[y0 * W + x0] += (1 - ly) * (1 - lx) * g;
                p[y0 * W + x1] += (1 - ly) * lx * g;
                p[y1 * W + x0] += ly * (1 - lx) * g;
                p[y1 * W + x1] += ly * lx * g;
            }
}
void ref_upsample2_nearest(double *y, const double *x, int N, int C, int H, int W) {
    for (int pl = 0; pl < N * C; pl++)
        for (int oy = 0; oy < 2 * H; oy++)
            for (int ox = 0; ox < 2 * W; ox++)
                y[((size_t)pl * 2 * H + oy) * 2 * W + ox] =
                    x[((size_t)pl * H + oy / 2) * W + ox / 2];
}
void ref_upsample2_nearest_backward(double *gx, const double *gy, int N, int C, int H, int W) {
    for (size_t i = 0; i < (size_t)N * C * H * W; i++) gx[i] = 0;
    for (int pl = 0; pl < N * C; pl++)
        for (int oy = 0; oy < 2 * H; oy++)
            for (int ox = 0; ox < 2 * W; ox++)
                gx[((size_t)pl * H + oy / 2) * W + ox / 2] +=
                    gy[((size_t)pl * 2 * H + oy) * 2 * W + ox];
}

/* PyTorch's source index for output o: scale (o + 0.5) - 0.5, clamped below at 0, with the
 * scale in / out rounded to float as PyTorch computes it (in double, 28 -> 299 would move the
 * taps by up to 1e-5 of a pixel) */
static void resize_taps(int o, int in, int out, int *i0, int *i1, double *l) {
    double src = (double)((float)in / (float)out) * (o + 0.5) - 0.5;
    if (src < 0) src = 0;
    *i0 = (int)src;
    *i1 = *i0 < in - 1 ? *i0 + 1 : *i0;
    *l = src - *i0;
}

void ref_resize_bilinear(double *y, const double *x, int N, int C, int H, int W, int Ho, int Wo) {
    for (int pl = 0; pl < N * C; pl++)
        for (int i = 0; i < Ho; i++)
            for (int j = 0; j < Wo; j++) {
                int y0, y1, x0, x1;
                double ly, lx;
                resize_taps(i, H, Ho, &y0, &y1, &ly);
                resize_taps(j, W, Wo, &x0, &x1, &lx);
                const double *p = x + (size_t)pl * H * W;
                y[((size_t)pl * Ho + i) * Wo + j] =
                    (1 - ly) * ((1 - lx) * p[y0 * W + x0] + lx * p[y0 * W + x1]) +
                    ly * ((1 - lx) * p[y1 * W + x0] + lx * p[y1 * W + x1]);
            }
}
