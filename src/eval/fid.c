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

/* Eigenvalues of a symmetric matrix (overwritten by its eigenvectors, row-major). */
static int eigen(double *m, double *w, int d) {
    return (int)LAPACKE_dsyevd(LAPACK_ROW_MAJOR, 'V', 'U', d, m, d, w);
}

double hb_fid_distance(const hb_fid_stats *a, const hb_fid_stats *b) {
    if (a->dim != b->dim || a->dim < 1) return NAN;
    int d = a->dim;
    size_t dd = (size_t)d * d;
    double *v = malloc(dd * sizeof *v), *w = malloc((size_t)d * sizeof *w);
    double *r = calloc(dd, sizeof *r), *t = calloc(dd, sizeof *t), *m = calloc(dd, sizeof *m);
    double result = NAN;
    if (!v || !w || !r || !t || !m) goto done;
    /* R = V diag(sqrt(max(l, 0))) V^T from S_a = V diag(l) V^T (tiny negative eigenvalues are
     * rounding) */
    memcpy(v, a->cov, dd * sizeof *v);
    if (eigen(v, w, d) != 0) goto done;
    for (int i = 0; i < d; i++)
        for (int j = 0; j < d; j++) {
            double s = 0;
            for (int k = 0; k < d; k++)
                s += v[(size_t)i * d + k] * sqrt(w[k] > 0 ? w[k] : 0) * v[(size_t)j * d + k];
            r[(size_t)i * d + j] = s;
        }
    /* M = R S_b R, symmetrised against rounding */
    for (int i = 0; i < d; i++)
        for (int k = 0; k < d; k++) {
            double rik = r[(size_t)i * d + k];
            for (int j = 0; j < d; j++) t[(size_t)i * d + j] += rik * b->cov[(size_t)k * d + j];
        }
    for (int i = 0; i < d; i++)
        for (int k = 0; k < d; k++) {
            double tik = t[(size_t)i * d + k];
            for (int j = 0; j < d; j++) m[(size_t)i * d + j] += tik * r[(size_t)k * d + j];
        }
    for (int i = 0; i < d; i++)
        for (int j = 0; j < i; j++)
            m[(size_t)i * d + j] = m[(size_t)j * d + i] =
                0.5 * (m[(size_t)i * d + j] + m[(size_t)j * d + i]);
    if (eigen(m, w, d) != 0) goto done;
    double tr_sqrt = 0, tr = 0, mu = 0;
    for (int i = 0; i < d; i++) {
        tr_sqrt += sqrt(w[i] > 0 ? w[i] : 0);
        tr += a->cov[(size_t)i * d + i] + b->cov[(size_t)i * d + i];
        double diff = a->mean[i] - b->mean[i];
        mu += diff * diff;
    }
    result = mu + tr - 2 * tr_sqrt;
done:
    free(v), free(w), free(r), free(t), free(m);
    return result;
}
