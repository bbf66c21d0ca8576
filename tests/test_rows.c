/* Row gather/scatter vs src/ref/ref_rows.c. */
#include <stdio.h>
#include <stdlib.h>

#include "ref/ref.h"
#include "testutil.h"

static void check(hb_ctx *ctx, uint64_t *rng, int table_rows, int rows, int cols) {
    size_t nt = (size_t)table_rows * cols, nm = (size_t)rows * cols;
    float *table = malloc(nt * 4), *src = malloc(nm * 4), *idx = malloc(rows * 4);
    tu_rand(rng, table, nt, -1, 1);
    tu_rand(rng, src, nm, -1, 1);
    /* distinct slots: a partial Fisher-Yates shuffle, as the bank's random batch */
    int *perm = malloc(table_rows * sizeof *perm);
    for (int i = 0; i < table_rows; i++) perm[i] = i;
    for (int i = 0; i < rows; i++) {
        float u;
        tu_rand(rng, &u, 1, 0, 1);
        int j = i + (int)(u * (table_rows - i));
        int t = perm[i];
        perm[i] = perm[j], perm[j] = t;
        idx[i] = (float)perm[i];
    }
    double *td = tu_to_double(table, nt), *sd = tu_to_double(src, nm), *id = tu_to_double(idx, rows);
    double *want = malloc(nm * 8);
    hb_tensor T = tu_upload(ctx, table, nt), S = tu_upload(ctx, src, nm), I = tu_upload(ctx, idx, rows),
              D = hb_alloc(ctx, nm);
    char what[96];
    TU_RUN(ctx, cmd, hb_gather_rows(cmd, D, T, I, rows, cols, table_rows));
    ref_gather_rows(want, td, id, rows, cols);
    float *got = tu_download(ctx, D);
    snprintf(what, sizeof what, "gather %d of %d rows x %d", rows, table_rows, cols);
    tu_close(what, got, want, nm, 0, 0);
    free(got);
    TU_RUN(ctx, cmd, hb_scatter_rows(cmd, T, S, I, rows, cols, table_rows));
    ref_scatter_rows(td, sd, id, rows, cols);
    got = tu_download(ctx, T);
    snprintf(what, sizeof what, "scatter %d of %d rows x %d", rows, table_rows, cols);
    tu_close(what, got, td, nt, 0, 0);
    free(got);
    hb_free(ctx, T), hb_free(ctx, S), hb_free(ctx, I), hb_free(ctx, D);
    free(table), free(src), free(idx), free(perm), free(td), free(sd), free(id), free(want);
}

int main(void) {
    hb_ctx *ctx = tu_ctx();
    uint64_t rng = 3;
    check(ctx, &rng, 1, 1, 1);
    check(ctx, &rng, 10, 3, 7);
    check(ctx, &rng, 1024, 64, 128);
    check(ctx, &rng, 1000, 64, 1024);
    return tu_finish(ctx);
}
