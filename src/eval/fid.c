/* Feature statistics and the Frechet distance. */
#include "eval/fid.h"

#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int hb_fid_stats_compute(const float *f, long n, int dim, hb_fid_stats *out) {
    memset(out, 0, sizeof *out);
    if (n < 2 || dim < 1) return -1;
    double *mean = calloc((size_t)dim, sizeof *mean);
    double *cov = calloc((size_t)dim * dim, sizeof *cov), *row = malloc((size_t)dim * sizeof *row);
    if (!mean || !cov || !row) {
        free(mean), free(cov), free(row);
        return -1;
    }
    for (long i = 0; i < n; i++)
        for (int j = 0; j < dim; j++) mean[j] += f[(size_t)i * dim + j];
    for (int j = 0; j < dim; j++) mean[j] /= (double)n;
    for (long i = 0; i < n; i++) { /* centred, so large means cost no precision */
        for (int j = 0; j < dim; j++) row[j] = f[(size_t)i * dim + j] - mean[j];
        for (int a = 0; a < dim; a++)
            for (int b = a; b < dim; b++) cov[(size_t)a * dim + b] += row[a] * row[b];
    }
    for (int a = 0; a < dim; a++)
        for (int b = a; b < dim; b++)
            cov[(size_t)b * dim + a] = cov[(size_t)a * dim + b] /= (double)(n - 1);
    free(row);
    *out = (hb_fid_stats){dim, n, mean, cov};
    return 0;
}

void hb_fid_stats_free(hb_fid_stats *s) {
    free(s->mean);
    free(s->cov);
    memset(s, 0, sizeof *s);
}

/* Eigenvalues of a symmetric matrix; with vectors, m is overwritten by them (row-major, one
 * per column), else by scratch. */
static int eigen(double *m, double *w, int d, int vectors) {
    return (int)LAPACKE_dsyevd(LAPACK_ROW_MAJOR, vectors ? 'V' : 'N', 'U', d, m, d, w);
}

/* tr((S_a S_b)^(1/2)) = tr((R S_b R)^(1/2)) with R = S_a^(1/2) = V L^(1/2) V^T from S_a =
 * V L V^T (tiny negative eigenvalues are rounding, taken as 0). R S_b R is similar, through V,
 * to C = L^(1/2) (V^T S_b V) L^(1/2), so the eigenvalues of C are its own: two products and the
 * eigenvalues alone, which at 2048 features costs about half of forming R S_b R. */
double hb_fid_distance(const hb_fid_stats *a, const hb_fid_stats *b) {
    if (a->dim != b->dim || a->dim < 1) return NAN;
    int d = a->dim;
    size_t dd = (size_t)d * d;
    double *v = malloc(dd * sizeof *v), *w = malloc((size_t)d * sizeof *w);
    double *t = calloc(dd, sizeof *t), *c = calloc(dd, sizeof *c);
    double result = NAN;
    if (!v || !w || !t || !c) goto done;
    memcpy(v, a->cov, dd * sizeof *v);
    if (eigen(v, w, d, 1) != 0) goto done;
    for (int i = 0; i < d; i++) /* T = S_b V */
        for (int j = 0; j < d; j++) {
            double s = b->cov[(size_t)i * d + j];
            for (int k = 0; k < d; k++) t[(size_t)i * d + k] += s * v[(size_t)j * d + k];
        }
    for (int i = 0; i < d; i++) /* C = V^T T */
        for (int k = 0; k < d; k++) {
            double vik = v[(size_t)i * d + k];
            for (int m = 0; m < d; m++) c[(size_t)k * d + m] += vik * t[(size_t)i * d + m];
        }
    for (int k = 0; k < d; k++) w[k] = sqrt(w[k] > 0 ? w[k] : 0);
    for (int k = 0; k < d; k++) /* scaled by L^(1/2) on both sides, symmetrised against rounding */
        for (int m = 0; m <= k; m++)
            c[(size_t)k * d + m] = c[(size_t)m * d + k] =
                0.5 * (c[(size_t)k * d + m] + c[(size_t)m * d + k]) * w[k] * w[m];
    if (eigen(c, w, d, 0) != 0) goto done;
    double tr_sqrt = 0, tr = 0, mu = 0;
    for (int i = 0; i < d; i++) {
        tr_sqrt += sqrt(w[i] > 0 ? w[i] : 0);
        tr += a->cov[(size_t)i * d + i] + b->cov[(size_t)i * d + i];
        double diff = a->mean[i] - b->mean[i];
        mu += diff * diff;
    }
    result = mu + tr - 2 * tr_sqrt;
done:
    free(v), free(w), free(t), free(c);
    return result;
}
