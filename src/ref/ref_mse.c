/* Reference for src/ops/mse.c. */
#include "ref/ref.h"

/* Returns the loss; grad (unless NULL) = d loss / d a. */
double ref_mse(double *grad, const double *a, const double *b, size_t n, double factor) {
    double s = 0;
    for (size_t i = 0; i < n; i++) {
        double d = a[i] - b[i];
        s += d * d;
        if (grad) grad[i] = factor * 2 * d / n;
    }
    return factor * s / n;
}
