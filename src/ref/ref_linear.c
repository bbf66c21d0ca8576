/* References for src/ops/linear.c: y = x w^T + b. */
#include "ref/ref.h"

void ref_linear_forward(double *y, const double *x, const double *w, const double *b, int N,
                        int in, int out) {
    for (int n = 0; n < N; n++)
        for (int o = 0; o < out; o++) {
            double s = b ? b[o] : 0;
            for (int i = 0; i < in; i++) s += x[(size_t)n * in + i] * w[(size_t)o * in + i];
            y[(size_t)n * out + o] = s;
        }
}

void ref_linear_backward_data(double *gx, const double *gy, const double *w, int N, int in,
                              int out) {
    for (int n = 0; n < N; n++)
        for (int i = 0; i < in; i++) {
            double s = 0;
            for (int o = 0; o < out; o++) s += gy[(size_t)n * out + o] * w[(size_t)o * in + i];
            gx[(size_t)n * in + i] = s;
        }
}

void ref_linear_backward_weight(double *gw, double *gb, const double *x, const double *gy, int N,
                                int in, int out) {
    for (int o = 0; o < out; o++) {
        for (int i = 0; i < in; i++) {
            double s = 0;
            for (int n = 0; n < N; n++) s += gy[(size_t)n * out + o] * x[(size_t)n * in + i];
            gw[(size_t)o * in + i] = s;
        }
        if (gb) {
            double s = 0;
            for (int n = 0; n < N; n++) s += gy[(size_t)n * out + o];
            gb[o] = s;
        }
    }
}
