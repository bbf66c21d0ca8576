/* References for src/ops/pool.c. */
#include "ref/ref.h"

void ref_avgpool2(double *y, const double *x, int N, int C, int H, int W) {
    int Ho = H / 2, Wo = W / 2;
    for (int pl = 0; pl < N * C; pl++)
        for (int i = 0; i < Ho; i++)
            for (int j = 0; j < Wo; j++) {
                const double *p = x + ((size_t)pl * H + 2 * i) * W + 2 * j;
                y[((size_t)pl * Ho + i) * Wo + j] = (p[0] + p[1] + p[W] + p[W + 1]) / 4;
            }
}
void ref_avgpool2_backward(double *gx, const double *gy, int N, int C, int H, int W) {
    int Ho = H / 2, Wo = W / 2;
    for (int pl = 0; pl < N * C; pl++)
        for (int i = 0; i < H; i++)
            for (int j = 0; j < W; j++)
                gx[((size_t)pl * H + i) * W + j] = gy[((size_t)pl * Ho + i / 2) * Wo + j / 2] / 4;
}
void ref_global_avgpool(double *y, const double *x, int N, int C, int HW) {
    for (int pl = 0; pl < N * C; pl++) {
        double s = 0;
        for (int p = 0; p < HW; p++) s += x[(size_t)pl * HW + p];
        y[pl] = s / HW;
    }
}
void ref_global_avgpool_backward(double *gx, const double *gy, int N, int C, int HW) {
    for (int pl = 0; pl < N * C; pl++)
        for (int p = 0; p < HW; p++) gx[(size_t)pl * HW + p] = gy[pl] / HW;
}
void ref_pool2d(double *y, const double *x, int N, int C, int H, int W, int max, int k, int stride,
                int pad) {
    int Ho = (H + 2 * pad - k) / stride + 1, Wo = (W + 2 * pad - k) / stride + 1;
    for (int pl = 0; pl < N * C; pl++)
        for (int i = 0; i < Ho; i++)
            for (int j = 0; j < Wo; j++) {
                double acc = 0;
                int count = 0;
                for (int ky = 0; ky < k; ky++)
                    for (int kx = 0; kx < k; kx++) {
                        int iy = i * stride + ky - pad, ix = j * stride + kx - pad;
                        if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                        double v = x[((size_t)pl * H + iy) * W + ix];
                        acc = !max ? acc + v : count == 0 || v > acc ? v : acc;
                        count++;
                    }
                y[((size_t)pl * Ho + i) * Wo + j] = max ? acc : acc / count;
            }
}
