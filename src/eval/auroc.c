/* AUROC from ranks. */
#include "eval/auroc.h"

#include <math.h>
#include <stdlib.h>

typedef struct {
    double s;
    int pos;
} scored;

static int by_score(const void *a, const void *b) {
    double x = ((const scored *)a)->s, y = ((const scored *)b)->s;
    return (x > y) - (x < y);
}

double hb_auroc(const double *neg, size_t n_neg, const double *pos, size_t n_pos) {
    if (!n_neg || !n_pos) return NAN;
    size_t n = n_neg + n_pos;
    scored *all = malloc(n * sizeof *all);
    if (!all) return NAN;
    for (size_t i = 0; i < n_neg; i++) all[i] = (scored){neg[i], 0};
    for (size_t i = 0; i < n_pos; i++) all[n_neg + i] = (scored){pos[i], 1};
    for (size_t i = 0; i < n; i++)
        if (isnan(all[i].s)) {
            free(all);
            return NAN;
        }
    qsort(all, n, sizeof *all, by_score);
    /* sum of the positives' ranks, ties sharing their average rank */
    double rank_sum = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i, npos = 0;
        while (j < n && all[j].s == all[i].s) npos += (size_t)all[j++].pos;
        rank_sum += (double)npos * (0.5 * (double)(i + 1 + j));
        i = j;
    }
    free(all);
    double u = rank_sum - 0.5 * (double)n_pos * (double)(n_pos + 1);
    return u / ((double)n_pos * (double)n_neg);
}
