/* Out-of-distribution scores of one image from its statistics (hatebm ood --score), all
 * "higher = more out of distribution":
 *
 *   energy      H(x), the hat network's energy (the paper's Section 4.4)
 *   gradnorm    ||dH/dx||: in-distribution images sit near modes, where the energy is flat
 *               (the approximate-mass score of Grathwohl et al., ICLR 2020, JEM)
 *   complexity  z(H) - z(L): the energy corrected by the image's complexity L, its code length
 *               under a generic lossless compressor (Serra et al., ICLR 2020); each term
 *               standardised on an in-distribution reference set, equal weights
 *   typicality  |z(H)|: how far the energy is from the typical energy of in-distribution images,
 *               either way (Nalisnick et al., 2019, "Detecting out-of-distribution inputs to deep
 *               generative models using typicality", their test with one image)
 *   dose        the Mahalanobis distance of (H, log ||dH/dx||, L) from a Gaussian fitted to the
 *               reference set: low density of the statistics themselves (after Morningstar et
 *               al., AISTATS 2021, "Density of States Estimation", with a Gaussian for the KDE)
 *
 * z(v) = (v - mean) / sd over the reference set. Host only. */
#ifndef HB_OOD_SCORE_H
#define HB_OOD_SCORE_H

#include <stddef.h>

typedef enum {
    HB_OOD_ENERGY,
    HB_OOD_GRADNORM,
    HB_OOD_COMPLEXITY,
    HB_OOD_TYPICALITY,
    HB_OOD_DOSE
} hb_ood_score_kind;

/* One image's statistics. */
typedef struct {
    double energy;     /* H(x) */
    double gradnorm;   /* ||dH/dx||_2 */
    double complexity; /* L(x), bits per dimension */
} hb_ood_stats;

/* What the reference set gives: moments of H and L, and the Gaussian of dose. */
typedef struct {
    double mean[3], sd[3]; /* of H, log ||dH/dx||, L */
    double inv_cov[9];     /* inverse covariance of those three, row-major */
} hb_ood_reference;

/* The kind named `name`; -1 when there is none. */
int hb_ood_score_parse(const char *name, hb_ood_score_kind *kind);
/* Which statistics a score reads beyond the energy, and whether it needs a reference set. */
int hb_ood_score_needs_gradnorm(hb_ood_score_kind kind);
int hb_ood_score_needs_complexity(hb_ood_score_kind kind);
int hb_ood_score_needs_reference(hb_ood_score_kind kind);

/* L(x): 8 bits times the zlib (deflate, level 9) size of the image quantised to 8 bits as
 * hatebm sample writes it (round((x + 1) * 127.5), clipped), divided by the D values. */
double hb_complexity_bits_per_dim(const float *image, size_t D);

/* Fits the reference for `kind` from n >= 4 images' statistics (those it reads; dose: all
 * three). -1 when a statistic it reads is constant or dose's three are collinear (nothing to
 * standardise with). */
int hb_ood_reference_fit(hb_ood_score_kind kind, const hb_ood_stats *stats, size_t n,
                         hb_ood_reference *ref);

/* The score of one image; ref may be NULL for energy and gradnorm. */
double hb_ood_score(hb_ood_score_kind kind, const hb_ood_stats *s, const hb_ood_reference *ref);

#endif
