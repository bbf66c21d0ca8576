/* References for src/ops/eltwise.c. */
#include <math.h>

#include "ref/ref.h"

void ref_relu(double *y, const double *x, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : 0;
}
void ref_relu_backward(double *gx, const double *gy, const double *x, size_t n) {
    for (size_t i = 0; i < n; i++) gx[i] = x[i] > 0 ? gy[i] : 0;
}
void ref_tanh(double *y, const double *x, double scale, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = scale * tanh(x[i]);
}
void ref_tanh_backward(double *gx, const double *gy, const double *y, double scale, size_t n) {
    for (size_t i = 0; i < n; i++) {
        double t = y[i] / scale;
        gx[i] = gy[i] * scale * (1 - t * t);
    }
}
void ref_affine(double *y, const double *x, const double *gamma, const double *beta, int N, int C,
                int HW) {
    for (int n = 0; n < N; n++)
        for (int c = 0; c < C; c++)
            for (int p = 0; p < HW; p++) {
                size_t i = ((size_t)n * C + c) * HW + p;
                y[i] = gamma[c] * x[i] + beta[c];
            }
}
void ref_affine_backward(double *gx, double *ggamma, double *gbeta, const double *gy,
                         const double *x, const double *gamma, int N, int C, int HW) {
    for (int c = 0; c < C; c++) ggamma[c] = gbeta[c] = 0;
    for (int n = 0; n < N; n++)
        for (int c = 0; c < C; c++)
            for (int p = 0; p < HW; p++) {
                size_t i = ((size_t)n * C + c) * HW + p;
                gx[i] = gamma[c] * gy[i];
                ggamma[c] += gy[i] * x[i];
                gbeta[c] += gy[i];
            }
}
