/* OOD scores from per-image statistics. */
#include "eval/ood_score.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static const char *const score_names[] = {"energy", "gradnorm", "complexity", "typicality", "dose"};

int hb_ood_score_parse(const char *name, hb_ood_score_kind *kind) {
    for (size_t i = 0; i < sizeof score_names / sizeof *score_names; i++)
        if (strcmp(name, score_names[i]) == 0) {
            *kind = (hb_ood_score_kind)i;
            return 0;
        }
    return -1;
}

int hb_ood_score_needs_gradnorm(hb_ood_score_kind kind) {
    return kind == HB_OOD_GRADNORM || kind == HB_OOD_DOSE;
}
int hb_ood_score_needs_complexity(hb_ood_score_kind kind) {
    return kind == HB_OOD_COMPLEXITY || kind == HB_OOD_DOSE;
}
int hb_ood_score_needs_reference(hb_ood_score_kind kind) {
    return kind == HB_OOD_COMPLEXITY || kind == HB_OOD_TYPICALITY || kind == HB_OOD_DOSE;
}

double hb_complexity_bits_per_dim(const float *image, size_t D) {
    unsigned char *bytes = malloc(D);
    uLongf packed_len = compressBound((uLong)D);
    unsigned char *packed = malloc(packed_len);
    for (size_t i = 0; i < D; i++) {
        float v = (image[i] + 1.0f) * 127.5f + 0.5f;
        bytes[i] = (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : v);
    }
    int rc = compress2(packed, &packed_len, bytes, (uLong)D, 9);
    free(bytes);
    free(packed);
    return rc == Z_OK ? 8.0 * (double)packed_len / (double)D : NAN;
}

/* The three statistics dose models; the gradient norm is positive and spans decades, so its
 * logarithm is the one closer to a Gaussian. */
static void dose_vector(const hb_ood_stats *s, double v[3]) {
    v[0] = s->energy;
    v[1] = log(s->gradnorm > 1e-300 ? s->gradnorm : 1e-300);
    v[2] = s->complexity;
}

int hb_ood_reference_fit(hb_ood_score_kind kind, const hb_ood_stats *stats, size_t n,
                         hb_ood_reference *ref) {
    if (n < 4) return -1;
    double mean[3] = {0}, cov[9] = {0}, v[3];
    for (size_t i = 0; i < n; i++) {
        dose_vector(&stats[i], v);
        for (int a = 0; a < 3; a++) mean[a] += v[a];
    }
    for (int a = 0; a < 3; a++) mean[a] /= (double)n; /* exact for constant statistics */
    for (size_t i = 0; i < n; i++) {
        dose_vector(&stats[i], v);
        for (int a = 0; a < 3; a++)
            for (int b = 0; b < 3; b++)
                cov[a * 3 + b] += (v[a] - mean[a]) * (v[b] - mean[b]) / (double)(n - 1);
    }
    for (int a = 0; a < 3; a++) {
        ref->mean[a] = mean[a];
        ref->sd[a] = sqrt(cov[a * 4]);
    }
    if (!(ref->sd[0] > 0) || (kind == HB_OOD_COMPLEXITY && !(ref->sd[2] > 0))) return -1;
    if (kind != HB_OOD_DOSE) return 0;
    /* the inverse by cofactors (symmetric) */
    double *c = cov, *inv = ref->inv_cov;
    inv[0] = c[4] * c[8] - c[5] * c[7];
    inv[1] = c[2] * c[7] - c[1] * c[8];
    inv[2] = c[1] * c[5] - c[2] * c[4];
    inv[4] = c[0] * c[8] - c[2] * c[6];
    inv[5] = c[2] * c[3] - c[0] * c[5];
    inv[8] = c[0] * c[4] - c[1] * c[3];
    inv[3] = inv[1], inv[6] = inv[2], inv[7] = inv[5];
    double det = c[0] * inv[0] + c[1] * inv[3] + c[2] * inv[6];
    /* relative to the product of the variances: 1 for independent statistics, 0 collinear */
    double scale = cov[0] * cov[4] * cov[8];
    if (!(scale > 0) || !(det > 1e-12 * scale)) return -1;
    for (int k = 0; k < 9; k++) inv[k] /= det;
    return 0;
}

double hb_ood_score(hb_ood_score_kind kind, const hb_ood_stats *s, const hb_ood_reference *ref) {
    switch (kind) {
    case HB_OOD_ENERGY: return s->energy;
    case HB_OOD_GRADNORM: return s->gradnorm;
    case HB_OOD_COMPLEXITY:
        return (s->energy - ref->mean[0]) / ref->sd[0] -
               (s->complexity - ref->mean[2]) / ref->sd[2];
    case HB_OOD_TYPICALITY: return fabs((s->energy - ref->mean[0]) / ref->sd[0]);
    case HB_OOD_DOSE: {
        double v[3], d[3], m = 0;
        dose_vector(s, v);
        for (int a = 0; a < 3; a++) d[a] = v[a] - ref->mean[a];
        for (int a = 0; a < 3; a++)
            for (int b = 0; b < 3; b++) m += d[a] * ref->inv_cov[a * 3 + b] * d[b];
        return sqrt(m > 0 ? m : 0);
    }
    }
    return NAN;
}
