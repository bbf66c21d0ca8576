/* References for src/ops/reduce.c. */
#include "ref/ref.h"

double ref_sum(const double *x, size_t n) {
    double s = 0;
    for (size_t i = 0; i < n; i++) s += x[i];
    return s;
}
double ref_sumsq(const double *x, size_t n) {
    double s = 0;
    for (size_t i = 0; i < n; i++) s += x[i] * x[i];
    return s;
}
void ref_sqnorm_rows(double *out, const double *x, int rows, int cols) {
    for (int r = 0; r < rows; r++) out[r] = ref_sumsq(x + (size_t)r * cols, (size_t)cols);
}
void ref_channel_sum(double *out, const double *x, const double *y, int N, int C, int HW) {
    for (int c = 0; c < C; c++) out[c] = 0;
    for (int n = 0; n < N; n++)
        for (int c = 0; c < C; c++)
            for (int p = 0; p < HW; p++) {
                size_t i = ((size_t)n * C + c) * HW + p;
                out[c] += y ? x[i] * y[i] : x[i];
            }
}
