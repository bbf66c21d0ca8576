/* Reference for src/ops/langevin.c: one Langevin step with per-sample drift clipping. */
#include <math.h>
#include <stdlib.h>

#include "ref/ref.h"

void ref_langevin_step(double *x, const double *grad, const float *noise, int N, int D,
                       double eps, double grad_scale, double max_norm, double tau) {
    double *d = malloc((D > 0 ? (size_t)D : 1) * sizeof *d);
    for (int s = 0; s < N; s++) {
        double *xs = x + (size_t)s * D;
        const double *gs = grad + (size_t)s * D;
        const float *zs = noise + (size_t)s * D;
        double sq = 0;
        for (int j = 0; j < D; j++) {
            d[j] = eps * eps / 2 * (grad_scale * gs[j] + 2 * tau * xs[j]);
            sq += d[j] * d[j];
        }
        double norm = sqrt(sq), f = 1;
        if (max_norm > 0 && norm > max_norm) f = max_norm / norm;
        for (int j = 0; j < D; j++) xs[j] = xs[j] - f * d[j] + eps * zs[j];
    }
    free(d);
}
