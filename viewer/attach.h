/* What hatebm-view --attach reads from a training run's directory: the sampling trajectory the
 * trainer publishes at every plot interval (trajectory.safetensors, see src/cli/train.c) and
 * the training curves (metrics.jsonl). */
#ifndef HB_VIEW_ATTACH_H
#define HB_VIEW_ATTACH_H

#include <stddef.h>

#include "io/safetensors.h"

typedef struct {
    hb_st_file file;
    int S, n, nch, res;       /* snapshots, chains, channels, resolution */
    const float *x, *g, *y;   /* [S][n][nch][res][res], inside file */
    const float *energy;      /* [S][n] */
    int *chain_step;          /* [S] */
    long step;                /* the training iteration */
    char mode[16];
} va_trajectory;

/* 0, or -1 with one line in err (t is then empty and safe to free). */
int va_trajectory_load(const char *path, va_trajectory *t, char *err, size_t errlen);
void va_trajectory_free(va_trajectory *t);

typedef struct {
    int n;
    float *step, *e_pos, *e_neg, *gen_loss, *res_norm; /* [n]; NaN where a line lacks a key */
} va_metrics;

/* Every complete line of metrics.jsonl (a missing file gives none). */
void va_metrics_load(const char *path, va_metrics *m);
void va_metrics_free(va_metrics *m);

#endif
