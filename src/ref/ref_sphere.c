/* References for src/ops/sphere.c. With n = ||x||, e = 1e-6, s = sqrt(D)/(n + e):
 *   z_i = s x_i,  dn/dx_j = x_j / n,
 *   dz_i/dx_j = s delta_ij - sqrt(D) x_i x_j / ((n + e)^2 n),
 *   gx_j = sum_i gz_i dz_i/dx_j = s gz_j - sqrt(D) (x.gz) / ((n + e)^2 n) x_j.
 * At x = 0 the second term is 0 (x.gz/n -> bounded, times x = 0), so gx = s gz. */
#include <math.h>
#include <stddef.h>

#include "ref/ref_sphere.h"

#define EPS 1e-6

void ref_sphere(double *z, const double *x, int N, int D) {
    for (int s = 0; s < N; s++) {
        const double *xs = x + (size_t)s * D;
        double ss = 0;
        for (int j = 0; j < D; j++) ss += xs[j] * xs[j];
        double sc = sqrt((double)D) / (sqrt(ss) + EPS);
        for (int j = 0; j < D; j++) z[(size_t)s * D + j] = sc * xs[j];
    }
}

void ref_sphere_backward(double *gx, const double *gz, const double *x, int N, int D) {
    for (int s = 0; s < N; s++) {
        const double *xs = x + (size_t)s * D, *gs = gz + (size_t)s * D;
        double ss = 0, dot = 0;
        for (int j = 0; j < D; j++) ss += xs[j] * xs[j], dot += xs[j] * gs[j];
        double n = sqrt(ss), ne = n + EPS, sc = sqrt((double)D) / ne;
        double coef = n > 0 ? sqrt((double)D) * dot / (ne * ne * n) : 0;
        for (int j = 0; j < D; j++) gx[(size_t)s * D + j] = sc * gs[j] - coef * xs[j];
    }
}
