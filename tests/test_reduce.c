/* Reductions vs src/ref/ref_reduce.c (double sums), including multi-million-element inputs,
 * run-to-run bit identity, and hb_affine_backward_params vs ref_affine_backward. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ref/ref.h"
#include "testutil.h"

/* Compares got[0..k) against want. A float sum of n terms t is off by at most ~n*eps*sum|t|;
 * the kernel's blocked sums and tree do far better, so allow 1e-6 of sum|t| (abs_sum) plus a
 * tiny absolute floor. */
static void close_sums(const char *what, const float *got, const double *want,
                       const double *abs_sum, size_t k) {
    double worst = 0, worst_ratio = 0;
    int ok = 1;
    for (size_t i = 0; i < k; i++) {
        double err = fabs(got[i] - want[i]), tol = 1e-6 * abs_sum[i] + 1e-7;
        if (!(err <= tol)) ok = 0;
        if (err > worst) worst = err;
        if (err / tol > worst_ratio) worst_ratio = err / tol;
    }
    tu_check(ok, "%s: %zu sums, max abs err %.3g (%.2f of tolerance)", what, k, worst,
             worst_ratio);
}

/* hb_reduce_sum and hb_reduce_sumsq over n floats starting `shift` floats into a buffer. */
static void check_whole(hb_ctx *ctx, uint64_t *rng, size_t n, uint32_t shift, float scale) {
    char what[160];
    float *x = malloc((n ? n : 1) * 4);
    tu_rand(rng, x, n, -1, 1);
    double *xd = tu_to_double(x, n), abs_sum = 0, sq_sum;
    for (size_t i = 0; i < n; i++) abs_sum += fabs(xd[i]);
    sq_sum = ref_sumsq(xd, n);
    hb_tensor base = hb_alloc(ctx, n + shift), X = hb_slice(base, shift, (uint32_t)n);
    hb_tensor out = hb_alloc(ctx, 2);
    hb_upload(ctx, X, x);
    float got[2], again[2];

    TU_RUN(ctx, cmd, hb_reduce_sum(cmd, hb_slice(out, 0, 1), X, scale));
    TU_RUN(ctx, cmd, hb_reduce_sumsq(cmd, hb_slice(out, 1, 1), X, scale));
    hb_download(ctx, out, got);
    double want[2] = {scale * ref_sum(xd, n), scale * sq_sum};
    double tol[2] = {fabs(scale) * abs_sum, fabs(scale) * sq_sum};
    snprintf(what, sizeof what, "reduce_sum, reduce_sumsq n%zu shift%u scale %g", n, shift,
             scale);
    close_sums(what, got, want, tol, 2);

    TU_RUN(ctx, cmd, hb_reduce_sum(cmd, hb_slice(out, 0, 1), X, scale));
    TU_RUN(ctx, cmd, hb_reduce_sumsq(cmd, hb_slice(out, 1, 1), X, scale));
    hb_download(ctx, out, again);
    snprintf(what, sizeof what, "reduce_sum, reduce_sumsq n%zu shift%u: second run bit-identical",
             n, shift);
    tu_check(memcmp(got, again, sizeof got) == 0, "%s", what);

    hb_free(ctx, base), hb_free(ctx, out);
    free(x), free(xd);
}

static void check_rows(hb_ctx *ctx, uint64_t *rng, int rows, int cols, uint32_t shift) {
    char what[160];
    size_t n = (size_t)rows * cols;
    float *x = malloc(n * 4);
    tu_rand(rng, x, n, -2, 2);
    double *xd = tu_to_double(x, n), *want = malloc(rows * 8);
    ref_sqnorm_rows(want, xd, rows, cols);
    hb_tensor base = hb_alloc(ctx, n + shift), X = hb_slice(base, shift, (uint32_t)n);
    hb_tensor obase = hb_alloc(ctx, rows + shift), out = hb_slice(obase, shift, (uint32_t)rows);
    hb_upload(ctx, X, x);
    TU_RUN(ctx, cmd, hb_sqnorm_rows(cmd, out, X, rows, cols));
    float *got = tu_download(ctx, out);
    snprintf(what, sizeof what, "sqnorm_rows %dx%d shift%u", rows, cols, shift);
    close_sums(what, got, want, want, rows);
    hb_free(ctx, base), hb_free(ctx, obase);
    free(x), free(xd), free(want), free(got);
}

static void check_channels(hb_ctx *ctx, uint64_t *rng, int N, int C, int HW, uint32_t shift) {
    char what[160];
    size_t n = (size_t)N * C * HW;
    float *x = malloc(n * 4), *y = malloc(n * 4), *gam = malloc(C * 4);
    tu_rand(rng, x, n, -1, 1);
    tu_rand(rng, y, n, -1, 1);
    tu_rand(rng, gam, C, 0.5f, 1.5f);
    double *xd = tu_to_double(x, n), *yd = tu_to_double(y, n), *gd = tu_to_double(gam, C);
    double *xa = malloc(n * 8), *xya = malloc(n * 8), *gx = malloc(n * 8);
    for (size_t i = 0; i < n; i++) xa[i] = fabs(xd[i]), xya[i] = fabs(xd[i] * yd[i]);
    double *want = malloc(C * 8), *want2 = malloc(C * 8), *tol = malloc(C * 8),
           *tol2 = malloc(C * 8);
    hb_tensor b[4] = {hb_alloc(ctx, n + shift), hb_alloc(ctx, n + shift),
                      hb_alloc(ctx, C + shift), hb_alloc(ctx, C + shift)};
    hb_tensor X = hb_slice(b[0], shift, (uint32_t)n), Y = hb_slice(b[1], shift, (uint32_t)n);
    hb_tensor O = hb_slice(b[2], shift, (uint32_t)C), O2 = hb_slice(b[3], shift, (uint32_t)C);
    hb_upload(ctx, X, x);
    hb_upload(ctx, Y, y);
    float *got;

    TU_RUN(ctx, cmd, hb_channel_sum(cmd, O, X, HB_NONE, N, C, HW));
    ref_channel_sum(want, xd, NULL, N, C, HW);
    ref_channel_sum(tol, xa, NULL, N, C, HW);
    got = tu_download(ctx, O);
    snprintf(what, sizeof what, "channel_sum N%d C%d HW%d shift%u", N, C, HW, shift);
    close_sums(what, got, want, tol, C);
    free(got);

    TU_RUN(ctx, cmd, hb_channel_sum(cmd, O, X, Y, N, C, HW));
    ref_channel_sum(want, xd, yd, N, C, HW);
    ref_channel_sum(tol, xya, NULL, N, C, HW);
    got = tu_download(ctx, O);
    snprintf(what, sizeof what, "channel_sum x*y N%d C%d HW%d shift%u", N, C, HW, shift);
    close_sums(what, got, want, tol, C);
    free(got);

    /* gy = X, x = Y: ggamma = sum gy*x, gbeta = sum gy */
    TU_RUN(ctx, cmd, hb_affine_backward_params(cmd, O, O2, X, Y, N, C, HW));
    ref_affine_backward(gx, want, want2, xd, yd, gd, N, C, HW);
    ref_channel_sum(tol2, xa, NULL, N, C, HW);
    got = tu_download(ctx, O);
    float *got2 = tu_download(ctx, O2);
    snprintf(what, sizeof what, "affine_backward_params ggamma N%d C%d HW%d shift%u", N, C, HW,
             shift);
    close_sums(what, got, want, tol, C);
    snprintf(what, sizeof what, "affine_backward_params gbeta N%d C%d HW%d shift%u", N, C, HW,
             shift);
    close_sums(what, got2, want2, tol2, C);
    free(got), free(got2);

    for (int i = 0; i < 4; i++) hb_free(ctx, b[i]);
    free(x), free(y), free(gam), free(xd), free(yd), free(gd), free(xa), free(xya), free(gx);
    free(want), free(want2), free(tol), free(tol2);
}

int main(void) {
    hb_ctx *ctx = tu_ctx();
    uint64_t rng = 3;
    /* the gpu profile's subgroup sums run at the device's default subgroup size; another size
     * could be required only where VK_EXT_subgroup_size_control offers a range */
    const hb_tuning *tn = hb_ctx_tuning(ctx);
    printf("reductions by %s; subgroup size %u, ",
           tn->subgroup_reduce ? "subgroupAdd" : "shared memory", tn->subgroup_size);
    if (!tn->subgroup_max) printf("no VK_EXT_subgroup_size_control: no other size to test\n");
    else if (tn->subgroup_min == tn->subgroup_max)
        printf("the only size the device allows: no other size to test\n");
    else
        printf("the device allows %u..%u: other sizes untested (no pipeline requires one)\n",
               tn->subgroup_min, tn->subgroup_max);
    const size_t sizes[] = {1, 3, 4, 5, 64, 1000, 4097, 65536, 3u << 20, (3u << 20) + 3};
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++)
        for (uint32_t shift = 0; shift <= 1; shift++) {
            check_whole(ctx, &rng, sizes[s], shift, 1.0f);
            if (s == 5) check_whole(ctx, &rng, sizes[s], shift, 1.0f / (float)sizes[s]);
        }
    const int rows[][2] = {{1, 1}, {5, 3}, {64, 1024}, {7, 3072}, {1, 100000}, {33, 7}};
    for (size_t s = 0; s < sizeof rows / sizeof *rows; s++)
        for (uint32_t shift = 0; shift <= 1; shift++)
            check_rows(ctx, &rng, rows[s][0], rows[s][1], shift);
    /* {N, C, HW} */
    const int ch[][3] = {{1, 1, 1},   {5, 3, 4},     {1, 7, 49},   {5, 33, 1024},
                         {5, 1, 1},   {64, 64, 1},   {1, 33, 4},   {5, 7, 1024},
                         {64, 3, 256}};
    for (size_t s = 0; s < sizeof ch / sizeof *ch; s++)
        for (uint32_t shift = 0; shift <= 1; shift++)
            check_channels(ctx, &rng, ch[s][0], ch[s][1], ch[s][2], shift);
    return tu_finish(ctx);
}
