/* Area under the ROC curve of a score that should be higher for the positive (here: out-of-
 * distribution) set: P(s_pos > s_neg) + P(s_pos = s_neg) / 2 over all pairs, computed from
 * ranks (Mann-Whitney U) in O(n log n). 0.5 = chance, 1 = perfect separation. */
#ifndef HB_AUROC_H
#define HB_AUROC_H

#include <stddef.h>

/* NaN when either set is empty or a score is NaN. */
double hb_auroc(const double *neg, size_t n_neg, const double *pos, size_t n_pos);

#endif
