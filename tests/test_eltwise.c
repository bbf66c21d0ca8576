/* Elementwise ops vs src/ref/ref_eltwise.c, float and vec4 paths, with finite differences. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ref/ref.h"
#include "testutil.h"

typedef struct {
    int op; /* 0 relu, 1 tanh, 2 affine */
    const double *r, *gamma, *beta;
    int N, C, HW;
    size_t n;
    double scale;
} loss_ctx;

/* L = sum(r * f(x)): its gradient is the backward pass with gy = r */
static double loss(void *u, const double *x) {
    loss_ctx *c = u;
    double *y = malloc(c->n * sizeof *y), s = 0;
    if (c->op == 0) ref_relu(y, x, c->n);
    else if (c->op == 1) ref_tanh(y, x, c->scale, c->n);
    else ref_affine(y, x, c->gamma, c->beta, c->N, c->C, c->HW);
    for (size_t i = 0; i < c->n; i++) s += c->r[i] * y[i];
    free(y);
    return s;
}

static void check_shape(hb_ctx *ctx, uint64_t *rng, int N, int C, int HW, uint32_t shift) {
    size_t n = (size_t)N * C * HW;
    char what[160];
    float *x = malloc(n * 4), *gy = malloc(n * 4), *gam = malloc(C * 4), *bet = malloc(C * 4);
    tu_rand(rng, x, n, -2, 2);
    tu_rand(rng, gy, n, -1, 1);
    tu_rand(rng, gam, C, 0.5f, 1.5f);
    tu_rand(rng, bet, C, -1, 1);
    double *xd = tu_to_double(x, n), *gyd = tu_to_double(gy, n), *gd = tu_to_double(gam, C),
           *bd = tu_to_double(bet, C);
    double *want = malloc(n * 8), *want2 = malloc(n * 8), *gg = malloc(C * 8), *gb = malloc(C * 8);
    /* shift > 0 offsets every tensor so the float (not vec4) path runs */
    hb_tensor X = hb_slice(hb_alloc(ctx, n + shift), shift, (uint32_t)n);
    hb_tensor GY = hb_slice(hb_alloc(ctx, n + shift), shift, (uint32_t)n);
    hb_tensor Y = hb_slice(hb_alloc(ctx, n + shift), shift, (uint32_t)n);
    hb_tensor G = hb_slice(hb_alloc(ctx, n + shift), shift, (uint32_t)n);
    hb_tensor GAM = tu_upload(ctx, gam, C), BET = tu_upload(ctx, bet, C);
    hb_upload(ctx, X, x);
    hb_upload(ctx, GY, gy);
    float *got;

    TU_RUN(ctx, cmd, hb_relu(cmd, Y, X));
    ref_relu(want, xd, n);
    got = tu_download(ctx, Y);
    snprintf(what, sizeof what, "relu N%d C%d HW%d shift%u", N, C, HW, shift);
    tu_close(what, got, want, n, 0, 0);
    free(got);

    TU_RUN(ctx, cmd, hb_relu_backward(cmd, G, GY, X, 0));
    ref_relu_backward(want, gyd, xd, n);
    got = tu_download(ctx, G);
    snprintf(what, sizeof what, "relu_backward N%d C%d HW%d shift%u", N, C, HW, shift);
    tu_close(what, got, want, n, 0, 0);
    loss_ctx lc = {0, gyd, gd, bd, N, C, HW, n, 1};
    tu_fd_check(what, loss, &lc, xd, n, want, 16, 1e-6, 1e-6, 1e-6);
    free(got);

    /* accumulate: G already holds relu_backward; adding it again doubles it */
    TU_RUN(ctx, cmd, hb_relu_backward(cmd, G, GY, X, 1));
    for (size_t i = 0; i < n; i++) want2[i] = 2 * want[i];
    got = tu_download(ctx, G);
    snprintf(what, sizeof what, "relu_backward accumulate N%d C%d HW%d", N, C, HW);
    tu_close(what, got, want2, n, 0, 0);
    free(got);

    TU_RUN(ctx, cmd, hb_tanh(cmd, Y, X, 2.0f));
    ref_tanh(want, xd, 2.0, n);
    got = tu_download(ctx, Y);
    snprintf(what, sizeof what, "tanh*2 N%d C%d HW%d shift%u", N, C, HW, shift);
    tu_close(what, got, want, n, 1e-5, 1e-6);
    free(got);

    TU_RUN(ctx, cmd, hb_tanh_backward(cmd, G, GY, Y, 2.0f));
    double *yd = malloc(n * 8);
    ref_tanh(yd, xd, 2.0, n);
    ref_tanh_backward(want, gyd, yd, 2.0, n);
    got = tu_download(ctx, G);
    snprintf(what, sizeof what, "tanh_backward N%d C%d HW%d shift%u", N, C, HW, shift);
    tu_close(what, got, want, n, 1e-4, 1e-5);
    lc.op = 1;
    lc.scale = 2.0;
    tu_fd_check(what, loss, &lc, xd, n, want, 16, 1e-6, 1e-6, 1e-6);
    free(got);
    free(yd);

    TU_RUN(ctx, cmd, hb_affine(cmd, Y, X, GAM, BET, N, C, HW));
    ref_affine(want, xd, gd, bd, N, C, HW);
    got = tu_download(ctx, Y);
    snprintf(what, sizeof what, "affine N%d C%d HW%d shift%u", N, C, HW, shift);
    tu_close(what, got, want, n, 1e-6, 1e-6);
    free(got);

    TU_RUN(ctx, cmd, hb_affine_relu(cmd, Y, X, GAM, BET, N, C, HW));
    ref_affine(want, xd, gd, bd, N, C, HW);
    ref_relu(want, want, n);
    got = tu_download(ctx, Y);
    snprintf(what, sizeof what, "affine_relu N%d C%d HW%d shift%u", N, C, HW, shift);
    tu_close(what, got, want, n, 1e-6, 1e-6);
    free(got);

    TU_RUN(ctx, cmd, hb_affine_backward(cmd, G, GY, GAM, N, C, HW, 0));
    ref_affine_backward(want, gg, gb, gyd, xd, gd, N, C, HW);
    got = tu_download(ctx, G);
    snprintf(what, sizeof what, "affine_backward N%d C%d HW%d shift%u", N, C, HW, shift);
    tu_close(what, got, want, n, 1e-6, 1e-6);
    lc.op = 2;
    tu_fd_check(what, loss, &lc, xd, n, want, 16, 1e-6, 1e-6, 1e-6);
    free(got);

    TU_RUN(ctx, cmd, hb_add(cmd, Y, X, GY));
    for (size_t i = 0; i < n; i++) want[i] = (double)x[i] + gy[i];
    got = tu_download(ctx, Y);
    snprintf(what, sizeof what, "add n%zu shift%u", n, shift);
    tu_close(what, got, want, n, 1e-7, 0);
    free(got);

    /* axpby into Y (holding x+gy): y = 0.5*x - 2*y */
    TU_RUN(ctx, cmd, hb_axpby(cmd, Y, X, 0.5f, -2.0f));
    for (size_t i = 0; i < n; i++) want2[i] = 0.5 * x[i] - 2.0 * (float)(x[i] + gy[i]);
    got = tu_download(ctx, Y);
    snprintf(what, sizeof what, "axpby n%zu shift%u", n, shift);
    tu_close(what, got, want2, n, 1e-6, 1e-6);
    free(got);

    /* beta 0 never reads y: NaN there must not leak into y = 3x */
    hb_fill_host(ctx, Y, NAN);
    TU_RUN(ctx, cmd, hb_axpby(cmd, Y, X, 3.0f, 0.0f));
    for (size_t i = 0; i < n; i++) want2[i] = 3.0 * x[i];
    got = tu_download(ctx, Y);
    snprintf(what, sizeof what, "axpby beta 0 n%zu shift%u", n, shift);
    tu_close(what, got, want2, n, 1e-6, 1e-6);
    free(got);

    TU_RUN(ctx, cmd, hb_fill(cmd, Y, 3.25f));
    for (size_t i = 0; i < n; i++) want[i] = 3.25;
    got = tu_download(ctx, Y);
    snprintf(what, sizeof what, "fill n%zu shift%u", n, shift);
    tu_close(what, got, want, n, 0, 0);
    free(got);

    free(x), free(gy), free(gam), free(bet), free(xd), free(gyd), free(gd), free(bd);
    free(want), free(want2), free(gg), free(gb);
}

int main(void) {
    hb_ctx *ctx = tu_ctx();
    uint64_t rng = 1;
    /* {4, 3, 6}: vec4 rows whose four floats can span two channels (HW % 4 != 0) */
    const int shapes[][3] = {{1, 1, 1}, {5, 3, 49}, {2, 7, 16}, {1, 33, 1024}, {5, 1, 7}, {2, 4, 4}, {4, 3, 6}};
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++)
        for (uint32_t shift = 0; shift <= 1; shift++)
            check_shape(ctx, &rng, shapes[s][0], shapes[s][1], shapes[s][2], shift);
    return tu_finish(ctx);
}
