/* FID statistics and distance (src/eval/fid.c) against closed forms, AUROC (src/eval/auroc.c)
 * against the direct count over all pairs, and the OOD scores (src/eval/ood_score.c) against
 * Python's zlib and their formulas computed here. Host only. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "eval/auroc.h"
#include "eval/fid.h"
#include "eval/ood_score.h"
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

/* Code lengths of 32x32 8-bit images, from Python: len(zlib.compress(bytes(image), 9)). */
static void complexity(void) {
    enum { D = 1024 };
    const int python_zlib_bytes[4] = {17, 286, 1035, 26};
    const char *what[4] = {"black", "ramp (7 i mod 256)", "LCG noise", "checkerboard"};
    uint32_t lcg = 12345;
    float img[4][D];
    for (int i = 0; i < D; i++) {
        lcg = (lcg * 1103515245u + 12345u) & 0x7fffffffu;
        int bytes[4] = {0, i * 7 % 256, (int)(lcg >> 16) & 255, (i / 32 + i % 32) % 2 ? 255 : 0};
        for (int k = 0; k < 4; k++) /* off by less than half a level: the same bytes */
            img[k][i] = (float)(bytes[k] / 127.5 - 1 + (i % 3 - 1) * 1e-3);
    }
    for (int k = 0; k < 4; k++) {
        double got = hb_complexity_bits_per_dim(img[k], D), want = 8.0 * python_zlib_bytes[k] / D;
        tu_check(got == want, "complexity of %s: %.5f bits/dim, Python's zlib %.5f", what[k], got,
                 want);
    }
}

/* Mahalanobis distance by solving cov u = d (Gaussian elimination, not the cofactors). */
static double mahalanobis_direct(const double *v, const double *mean, const double *cov) {
    double a[3][4];
    for (int r = 0; r < 3; r++) {
        for (int c = 0; c < 3; c++) a[r][c] = cov[r * 3 + c];
        a[r][3] = v[r] - mean[r];
    }
    for (int p = 0; p < 3; p++)
        for (int r = p + 1; r < 3; r++)
            for (int c = 3; c >= p; c--) a[r][c] -= a[r][p] / a[p][p] * a[p][c];
    double u[3], m = 0;
    for (int r = 2; r >= 0; r--) {
        u[r] = a[r][3];
        for (int c = r + 1; c < 3; c++) u[r] -= a[r][c] * u[c];
        u[r] /= a[r][r];
    }
    for (int r = 0; r < 3; r++) m += (v[r] - mean[r]) * u[r];
    return sqrt(m);
}

static void scores(void) {
    enum { N = 50 };
    hb_ood_stats ref[N];
    uint64_t rng = 5;
    for (int i = 0; i < N; i++) {
        double g = gauss(&rng), h = gauss(&rng);
        ref[i] = (hb_ood_stats){.energy = 2 + 0.5 * g, .gradnorm = exp(-1 + 0.3 * h + 0.1 * g),
                                .complexity = 3 + 0.4 * gauss(&rng) - 0.2 * g};
    }
    /* the moments and covariance of (H, log ||dH/dx||, L), unbiased, directly */
    double v[N][3], mean[3] = {0}, cov[9] = {0};
    for (int i = 0; i < N; i++) {
        v[i][0] = ref[i].energy, v[i][1] = log(ref[i].gradnorm), v[i][2] = ref[i].complexity;
        for (int a = 0; a < 3; a++) mean[a] += v[i][a] / N;
    }
    for (int i = 0; i < N; i++)
        for (int a = 0; a < 9; a++)
            cov[a] += (v[i][a / 3] - mean[a / 3]) * (v[i][a % 3] - mean[a % 3]) / (N - 1);
    hb_ood_reference fit;
    tu_check(hb_ood_reference_fit(HB_OOD_DOSE, ref, N, &fit) == 0, "a reference of 50 images fits");
    const hb_ood_stats probe[3] = {{2.5, 0.3, 2.0}, {1.0, 1.5, 3.5}, {2.0, exp(-1), 3.0}};
    double worst = 0;
    for (int k = 0; k < 3; k++) {
        const hb_ood_stats *p = &probe[k];
        double zh = (p->energy - mean[0]) / sqrt(cov[0]);
        double zl = (p->complexity - mean[2]) / sqrt(cov[8]);
        double pv[3] = {p->energy, log(p->gradnorm), p->complexity};
        double got[5], want[5] = {p->energy, p->gradnorm, zh - zl, fabs(zh),
                                  mahalanobis_direct(pv, mean, cov)};
        for (int s = 0; s < 5; s++) {
            got[s] = hb_ood_score((hb_ood_score_kind)s, p, &fit);
            double e = fabs(got[s] - want[s]) / (1 + fabs(want[s]));
            worst = e > worst ? e : worst;
        }
        printf("  probe %d: complexity %.6f (formula %.6f), dose %.6f (direct %.6f)\n", k, got[2],
               want[2], got[4], want[4]);
    }
    tu_check(worst < 1e-12, "energy, gradnorm, complexity, typicality and dose against their "
             "formulas on 3 probes (worst relative error %.2g)", worst);
    hb_ood_score_kind kind;
    tu_check(hb_ood_score_parse("dose", &kind) == 0 && kind == HB_OOD_DOSE &&
                 hb_ood_score_parse("Energy", &kind) == -1 && hb_ood_score_parse("", &kind) == -1,
             "score names: exact, lower case");
    /* nothing to standardise with: constant energies, too few images, collinear statistics */
    hb_ood_stats flat[N];
    for (int i = 0; i < N; i++) flat[i] = (hb_ood_stats){1.0, ref[i].gradnorm, ref[i].complexity};
    tu_check(hb_ood_reference_fit(HB_OOD_TYPICALITY, flat, N, &fit) == -1 &&
                 hb_ood_reference_fit(HB_OOD_COMPLEXITY, ref, 3, &fit) == -1,
             "constant energies or 3 images are refused");
    for (int i = 0; i < N; i++) flat[i] = (hb_ood_stats){ref[i].energy, 0, 0};
    tu_check(hb_ood_reference_fit(HB_OOD_TYPICALITY, flat, N, &fit) == 0 &&
                 hb_ood_reference_fit(HB_OOD_COMPLEXITY, flat, N, &fit) == -1,
             "typicality reads only H; complexity needs a spread of L");
    for (int i = 0; i < N; i++)
        flat[i].gradnorm = exp(ref[i].energy), flat[i].complexity = 1 - ref[i].energy;
    tu_check(hb_ood_reference_fit(HB_OOD_DOSE, flat, N, &fit) == -1,
             "collinear statistics are refused by dose");
}

int main(void) {
    complexity();
    scores();
    stats_exact();
    closed_forms();
    fid_self_and_noise();
    auroc();
    return tu_summary();
}
