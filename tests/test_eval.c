/* FID statistics and distance (src/eval/fid.c) against closed forms, and AUROC
 * (src/eval/auroc.c) against the direct count over all pairs. Host only. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "eval/auroc.h"
#include "eval/fid.h"
#include "testutil.h"

static double gauss(uint64_t *rng) {
    float u[2];
    tu_rand(rng, u, 2, 0, 1);
    return sqrt(-2 * log(u[0] + 1e-12)) * cos(6.283185307179586 * u[1]);
}

/* n samples of dim correlated features: x = A g + offset */
static float *features(uint64_t *rng, long n, int dim, double noise) {
    float *f = malloc((size_t)n * dim * sizeof *f);
    double *g = malloc((size_t)dim * sizeof *g);
    for (long i = 0; i < n; i++) {
        for (int j = 0; j < dim; j++) g[j] = gauss(rng);
        for (int j = 0; j < dim; j++) {
            double x = 3.0 + g[j] + 0.5 * g[(j + 1) % dim]; /* off-diagonal covariance */
            f[(size_t)i * dim + j] = (float)(x + noise * gauss(rng));
        }
    }
    free(g);
    return f;
}

static void fid_self_and_noise(void) {
    uint64_t rng = 3;
    long n = 2000;
    int dim = 16;
    float *a = features(&rng, n, dim, 0);
    hb_fid_stats sa, sb;
    hb_fid_stats_compute(a, n, dim, &sa);
    double self = hb_fid_distance(&sa, &sa);
    tu_check(fabs(self) < 1e-9, "FID of a set against itself is ~0 (%.3g)", self);
    double prev = 0;
    int grows = 1;
    for (double noise = 0.1; noise < 2; noise *= 2) {
        uint64_t same = 3; /* the same samples, plus noise */
        float *b = features(&same, n, dim, noise);
        hb_fid_stats_compute(b, n, dim, &sb);
        double d = hb_fid_distance(&sa, &sb);
        printf("  noise %.2f: FID %.4f\n", noise, d);
        grows &= d > prev;
        prev = d;
        hb_fid_stats_free(&sb);
        free(b);
    }
    tu_check(grows && prev > 1, "FID grows with added noise (last %.3f)", prev);
    tu_check(hb_fid_stats_compute(a, 1, dim, &sb) == -1, "statistics of one sample are refused");
    hb_fid_stats_free(&sa);
    free(a);
}

static void stats_exact(void) {
    const float f[4 * 2] = {1, 2, 3, 2, 5, 6, 7, 6}; /* 4 samples of 2 */
    hb_fid_stats s;
    hb_fid_stats_compute(f, 4, 2, &s);
    /* mean (4, 4); x0 deviations -3 -1 1 3 (var 20/3), x1 -2 -2 2 2 (var 16/3), cov 16/3 */
    tu_check(s.mean[0] == 4 && s.mean[1] == 4 && fabs(s.cov[0] - 20.0 / 3) < 1e-12 &&
                 fabs(s.cov[3] - 16.0 / 3) < 1e-12 && fabs(s.cov[1] - 16.0 / 3) < 1e-12 &&
                 s.cov[1] == s.cov[2],
             "mean and unbiased covariance of a hand-made set");
    hb_fid_stats_free(&s);
}

static void closed_forms(void) {
    /* diagonal: sum (mu_a - mu_b)^2 + a + b - 2 sqrt(a b) */
    double ma[3] = {0, 1, 2}, mb[3] = {1, 1, 0};
    double ca[9] = {4, 0, 0, 0, 1, 0, 0, 0, 9}, cb[9] = {1, 0, 0, 0, 1, 0, 0, 0, 4};
    hb_fid_stats a = {3, 10, ma, ca}, b = {3, 10, mb, cb};
    double want = 1 + 0 + 4 + (4 + 1 - 4) + (1 + 1 - 2) + (9 + 4 - 12);
    double got = hb_fid_distance(&a, &b);
    tu_check(fabs(got - want) < 1e-9, "diagonal covariances: %.12g, closed form %.12g", got, want);
    /* 2x2, non-commuting: tr sqrt(Sa Sb) = sqrt(tr(Sa Sb) + 2 sqrt(det Sa det Sb)) */
    double m0[2] = {0, 0}, c1[4] = {2, 0.7, 0.7, 1}, c2[4] = {1.5, -0.4, -0.4, 3};
    hb_fid_stats p = {2, 10, m0, c1}, q = {2, 10, m0, c2};
    double tr_ab = c1[0] * c2[0] + c1[1] * c2[2] + c1[2] * c2[1] + c1[3] * c2[3];
    double det = (c1[0] * c1[3] - c1[1] * c1[2]) * (c2[0] * c2[3] - c2[1] * c2[2]);
    want = (c1[0] + c1[3]) + (c2[0] + c2[3]) - 2 * sqrt(tr_ab + 2 * sqrt(det));
    got = hb_fid_distance(&p, &q);
    tu_check(fabs(got - want) < 1e-9, "non-commuting 2x2 covariances: %.12g, closed form %.12g",
             got, want);
    double sym = hb_fid_distance(&q, &p);
    tu_check(fabs(sym - got) < 1e-9, "symmetric in its arguments (%.12g vs %.12g)", sym, got);
    hb_fid_stats other = {3, 10, ma, ca};
    tu_check(isnan(hb_fid_distance(&p, &other)), "mismatched dimensions give NaN");
}

static double auroc_direct(const double *neg, size_t nn, const double *pos, size_t np) {
    double s = 0;
    for (size_t i = 0; i < np; i++)
        for (size_t j = 0; j < nn; j++) s += pos[i] > neg[j] ? 1 : pos[i] == neg[j] ? 0.5 : 0;
    return s / ((double)np * nn);
}

static void auroc(void) {
    const double neg[] = {0.1, 0.4, 0.35, 0.8, 0.4}, pos[] = {0.9, 0.4, 0.65, 0.8, 0.2, 1.5};
    double got = hb_auroc(neg, 5, pos, 6), want = auroc_direct(neg, 5, pos, 6);
    tu_check(fabs(got - want) < 1e-12, "hand-made lists with ties: %.6f, direct count %.6f", got,
             want);
    const double lo[] = {1, 2, 3}, hi[] = {4, 5};
    tu_check(hb_auroc(lo, 3, hi, 2) == 1.0 && hb_auroc(hi, 2, lo, 3) == 0.0,
             "perfect separation gives 1, reversed 0");
    tu_check(hb_auroc(lo, 3, lo, 3) == 0.5, "identical sets give 0.5");
    uint64_t rng = 9;
    enum { N = 700, M = 500 };
    double *a = malloc(N * sizeof *a), *b = malloc(M * sizeof *b);
    for (int i = 0; i < N; i++) a[i] = floor(gauss(&rng) * 4) / 4; /* many ties */
    for (int i = 0; i < M; i++) b[i] = floor((gauss(&rng) + 0.7) * 4) / 4;
    got = hb_auroc(a, N, b, M), want = auroc_direct(a, N, b, M);
    tu_check(fabs(got - want) < 1e-12, "700 vs 500 scores with ties: %.9f, direct %.9f", got, want);
    tu_check(isnan(hb_auroc(a, 0, b, M)), "an empty set gives NaN");
    free(a), free(b);
}

int main(void) {
    stats_exact();
    closed_forms();
    fid_self_and_noise();
    auroc();
    return tu_summary();
}
