/* Frechet distance between Gaussians fitted to two sets of features (Heusel et al., 2017):
 * |mu_a - mu_b|^2 + tr(S_a) + tr(S_b) - 2 tr((S_a S_b)^(1/2)). Here the features come from the
 * project's Fashion-MNIST classifier, so the number is "FID, FMNIST-classifier features", not
 * Inception FID. Statistics in double precision; the square root through LAPACK's symmetric
 * eigensolver: tr((S_a S_b)^(1/2)) = tr((R S_b R)^(1/2)) with R = S_a^(1/2), both symmetric
 * positive semi-definite, so no general (non-symmetric) matrix square root is needed. */
#ifndef HB_FID_H
#define HB_FID_H

#include <stddef.h>

typedef struct {
    int dim;
    long n;
    double *mean; /* [dim] */
    double *cov;  /* [dim][dim], unbiased (n - 1) */
} hb_fid_stats;

/* features: [n][dim] floats, n >= 2. 0, or -1 when n < 2 or out of memory. */
int hb_fid_stats_compute(const float *features, long n, int dim, hb_fid_stats *out);
void hb_fid_stats_free(hb_fid_stats *s);
/* The distance (>= 0 up to rounding); NaN when the dimensions differ or LAPACK fails. */
double hb_fid_distance(const hb_fid_stats *a, const hb_fid_stats *b);

/* Statistics as pytorch-fid and TTUR save them (src/eval/fid_npz.c): an .npz of mu [dim] and
 * sigma [dim][dim]. load: n is 0 (not stored); a missing, mis-shaped or non-finite array is
 * refused naming it. 0, or -1 + one line in err. */
int hb_fid_stats_save_npz(const char *path, const hb_fid_stats *s, char *err, size_t errlen);
int hb_fid_stats_load_npz(const char *path, hb_fid_stats *out, char *err, size_t errlen);

#endif
