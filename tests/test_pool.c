/* Pooling ops vs src/ref/ref_pool.c, with finite differences of the forward for every backward
 * pass and the accumulate flag of avgpool2_backward; global pooling also of a relu's output
 * (the relu fused in). */
#include <stdio.h>
#include <stdlib.h>

#include "ref/ref.h"
#include "testutil.h"

static void global_fwd(double *y, const double *x, int N, int C, int H, int W) {
    ref_global_avgpool(y, x, N, C, H * W);
}
static void global_relu_fwd(double *y, const double *x, int N, int C, int H, int W) {
    size_t n = (size_t)N * C * H * W;
    double *r = malloc(n * sizeof *r);
    ref_relu(r, x, n);
    ref_global_avgpool(y, r, N, C, H * W);
    free(r);
}

/* hb_global_avgpool_relu and its backward pass: X and GY hold x and gy, GX is overwritten */
static void check_global_relu(hb_ctx *ctx, hb_tensor X, hb_tensor Y, hb_tensor GX, hb_tensor GY,
                              double *xd, const double *gyd, int N, int C, int H, int W,
                              uint32_t shift) {
    size_t nin = (size_t)N * C * H * W, nout = (size_t)N * C;
    char what[160];
    double *want = malloc(nin * sizeof *want);
    TU_RUN(ctx, cmd, hb_global_avgpool_relu(cmd, Y, X, N, C, H * W));
    global_relu_fwd(want, xd, N, C, H, W);
    float *got = tu_download(ctx, Y);
    snprintf(what, sizeof what, "global_avgpool_relu N%d C%d %dx%d shift%u", N, C, H, W, shift);
    tu_close(what, got, want, nout, 1e-6, 1e-6);
    free(got);

    TU_RUN(ctx, cmd, hb_global_avgpool_relu_backward(cmd, GX, GY, X, N, C, H * W));
    ref_global_avgpool_backward(want, gyd, N, C, H * W);
    for (size_t i = 0; i < nin; i++)
        if (!(xd[i] > 0)) want[i] = 0;
    got = tu_download(ctx, GX);
    snprintf(what, sizeof what, "global_avgpool_relu_backward N%d C%d %dx%d shift%u", N, C, H, W,
             shift);
    tu_close(what, got, want, nin, 1e-6, 1e-7);
    double *gotd = tu_to_double(got, nin);
    tu_map_ctx lc = {global_relu_fwd, gyd, N, C, H, W, nout};
    tu_fd_check(what, tu_map_loss, &lc, xd, nin, gotd, 16, 1e-3, 1e-5, 1e-6);
    free(got), free(gotd), free(want);
}

/* shift > 0 offsets every tensor so the push-constant offsets are exercised */
static void check_shape(hb_ctx *ctx, uint64_t *rng, int global, int N, int C, int H, int W,
                        uint32_t shift) {
    size_t nin = (size_t)N * C * H * W, nout = global ? (size_t)N * C : nin / 4;
    const char *name = global ? "global_avgpool" : "avgpool2";
    char what[160];
    float *x = malloc(nin * 4), *gy = malloc(nout * 4), *old = malloc(nin * 4), *got;
    tu_rand(rng, x, nin, -2, 2);
    tu_rand(rng, gy, nout, -1, 1);
    tu_rand(rng, old, nin, -1, 1);
    double *xd = tu_to_double(x, nin), *gyd = tu_to_double(gy, nout);
    double *want = malloc(nin * 8);
    hb_tensor base[4] = {hb_alloc(ctx, nin + shift), hb_alloc(ctx, nin + shift),
                         hb_alloc(ctx, nout + shift), hb_alloc(ctx, nout + shift)};
    hb_tensor X = hb_slice(base[0], shift, (uint32_t)nin);
    hb_tensor GX = hb_slice(base[1], shift, (uint32_t)nin);
    hb_tensor Y = hb_slice(base[2], shift, (uint32_t)nout);
    hb_tensor GY = hb_slice(base[3], shift, (uint32_t)nout);
    hb_upload(ctx, X, x);
    hb_upload(ctx, GY, gy);

    if (global) {
        TU_RUN(ctx, cmd, hb_global_avgpool(cmd, Y, X, N, C, H * W));
        ref_global_avgpool(want, xd, N, C, H * W);
    } else {
        TU_RUN(ctx, cmd, hb_avgpool2(cmd, Y, X, N, C, H, W));
        ref_avgpool2(want, xd, N, C, H, W);
    }
    got = tu_download(ctx, Y);
    snprintf(what, sizeof what, "%s N%d C%d %dx%d shift%u", name, N, C, H, W, shift);
    tu_close(what, got, want, nout, 1e-6, 1e-6);
    free(got);

    if (global) {
        TU_RUN(ctx, cmd, hb_global_avgpool_backward(cmd, GX, GY, N, C, H * W));
        ref_global_avgpool_backward(want, gyd, N, C, H * W);
    } else {
        TU_RUN(ctx, cmd, hb_avgpool2_backward(cmd, GX, GY, N, C, H, W, 0));
        ref_avgpool2_backward(want, gyd, N, C, H, W);
    }
    got = tu_download(ctx, GX);
    snprintf(what, sizeof what, "%s_backward N%d C%d %dx%d shift%u", name, N, C, H, W, shift);
    tu_close(what, got, want, nin, 1e-6, 1e-7);
    double *gotd = tu_to_double(got, nin);
    tu_map_ctx lc = {global ? global_fwd : ref_avgpool2, gyd, N, C, H, W, nout};
    tu_fd_check(what, tu_map_loss, &lc, xd, nin, gotd, 16, 1e-3, 1e-5, 1e-6);
    free(got);
    free(gotd);

    if (global) check_global_relu(ctx, X, Y, GX, GY, xd, gyd, N, C, H, W, shift);

    if (!global) { /* accumulate adds to what gx holds */
        hb_upload(ctx, GX, old);
        TU_RUN(ctx, cmd, hb_avgpool2_backward(cmd, GX, GY, N, C, H, W, 1));
        for (size_t i = 0; i < nin; i++) want[i] += old[i];
        got = tu_download(ctx, GX);
        snprintf(what, sizeof what, "avgpool2_backward accumulate N%d C%d %dx%d shift%u", N, C,
                 H, W, shift);
        tu_close(what, got, want, nin, 1e-6, 1e-7);
        free(got);
    }

    for (int i = 0; i < 4; i++) hb_free(ctx, base[i]);
    free(x), free(gy), free(old), free(xd), free(gyd), free(want);
}

int main(void) {
    hb_ctx *ctx = tu_ctx();
    uint64_t rng = 7;
    /* {N, C, H, W} */
    const int pool[][4] = {{1, 1, 2, 2},  {5, 3, 4, 4},   {1, 7, 32, 32}, {5, 33, 32, 32},
                           {1, 33, 2, 2}, {5, 1, 2, 6},   {1, 3, 6, 2},   {5, 7, 16, 8}};
    const int glob[][4] = {{1, 1, 1, 1},  {5, 3, 2, 2},   {1, 7, 7, 7},   {5, 33, 32, 32},
                           {1, 33, 4, 4}, {5, 1, 1, 1},   {1, 3, 32, 32}, {5, 7, 7, 7}};
    for (size_t s = 0; s < sizeof pool / sizeof *pool; s++)
        for (uint32_t shift = 0; shift <= 1; shift++)
            check_shape(ctx, &rng, 0, pool[s][0], pool[s][1], pool[s][2], pool[s][3], shift);
    for (size_t s = 0; s < sizeof glob / sizeof *glob; s++)
        for (uint32_t shift = 0; shift <= 1; shift++)
            check_shape(ctx, &rng, 1, glob[s][0], glob[s][1], glob[s][2], glob[s][3], shift);
    return tu_finish(ctx);
}
