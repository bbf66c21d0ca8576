/* References for src/ops/conv2d.c: direct convolution loops, stride 1, zero padding k/2. */
#include "ref/ref.h"

void ref_conv2d_forward(double *out, const double *in, const double *w, const double *b, int N,
                        int cin, int cout, int H, int W, int k) {
    int p = k / 2;
    for (int n = 0; n < N; n++)
        for (int co = 0; co < cout; co++)
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++) {
                    double s = b ? b[co] : 0;
                    for (int ci = 0; ci < cin; ci++)
                        for (int ky = 0; ky < k; ky++)
                            for (int kx = 0; kx < k; kx++) {
                                int iy = y + ky - p, ix = x + kx - p;
                                if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                                s += w[((size_t)(co * cin + ci) * k + ky) * k + kx] *
                                     in[(((size_t)n * cin + ci) * H + iy) * W + ix];
                            }
                    out[(((size_t)n * cout + co) * H + y) * W + x] = s;
                }
}

void ref_conv2d_backward_data(double *gin, const double *gout, const double *w, int N, int cin,
                              int cout, int H, int W, int k) {
    int p = k / 2;
    for (size_t i = 0; i < (size_t)N * cin * H * W; i++) gin[i] = 0;
    for (int n = 0; n < N; n++)
        for (int co = 0; co < cout; co++)
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++) {
                    double g = gout[(((size_t)n * cout + co) * H + y) * W + x];
                    for (int ci = 0; ci < cin; ci++)
                        for (int ky = 0; ky < k; ky++)
                            for (int kx = 0; kx < k; kx++) {
                                int iy = y + ky - p, ix = x + kx - p;
                                if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                                gin[(((size_t)n * cin + ci) * H + iy) * W + ix] +=
                                    g * w[((size_t)(co * cin + ci) * k + ky) * k + kx];
                            }
                }
}

void ref_conv2d_backward_weight(double *gw, double *gb, const double *in, const double *gout,
                                int N, int cin, int cout, int H, int W, int k) {
    int p = k / 2;
    for (size_t i = 0; i < (size_t)cout * cin * k * k; i++) gw[i] = 0;
    if (gb)
        for (int co = 0; co < cout; co++) gb[co] = 0;
    for (int n = 0; n < N; n++)
        for (int co = 0; co < cout; co++)
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++) {
                    double g = gout[(((size_t)n * cout + co) * H + y) * W + x];
                    if (gb) gb[co] += g;
                    for (int ci = 0; ci < cin; ci++)
                        for (int ky = 0; ky < k; ky++)
                            for (int kx = 0; kx < k; kx++) {
                                int iy = y + ky - p, ix = x + kx - p;
                                if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                                gw[((size_t)(co * cin + ci) * k + ky) * k + kx] +=
                                    g * in[(((size_t)n * cin + ci) * H + iy) * W + ix];
                            }
                }
}

void ref_conv2d_general(double *out, const double *in, const double *w, const double *b, int N,
                        int cin, int cout, int H, int W, int kh, int kw, int stride, int pad_h,
                        int pad_w) {
    int Ho = (H + 2 * pad_h - kh) / stride + 1, Wo = (W + 2 * pad_w - kw) / stride + 1;
    for (int n = 0; n < N; n++)
        for (int co = 0; co < cout; co++)
            for (int y = 0; y < Ho; y++)
                for (int x = 0; x < Wo; x++) {
                    double s = b ? b[co] : 0;
                    for (int ci = 0; ci < cin; ci++)
                        for (int ky = 0; ky < kh; ky++)
                            for (int kx = 0; kx < kw; kx++) {
                                int iy = y * stride + ky - pad_h, ix = x * stride + kx - pad_w;
                                if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                                s += w[((size_t)(co * cin + ci) * kh + ky) * kw + kx] *
                                     in[(((size_t)n * cin + ci) * H + iy) * W + ix];
                            }
                    out[(((size_t)n * cout + co) * Ho + y) * Wo + x] = s;
                }
}
