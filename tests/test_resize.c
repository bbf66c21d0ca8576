/* hb_resize_bilinear vs ref_resize_bilinear: up and down to any size, identity, one pixel,
 * uneven aspect (the Inception network's resize of 28, 32, 64 to 299). */
#include <stdio.h>
#include <stdlib.h>

#include "ref/ref.h"
#include "testutil.h"

static void check(hb_ctx *ctx, uint64_t *rng, int N, int C, int H, int W, int Ho, int Wo) {
    size_t nin = (size_t)N * C * H * W, nout = (size_t)N * C * Ho * Wo;
    float *x = malloc(nin * 4);
    tu_rand(rng, x, nin, -1, 1);
    double *xd = tu_to_double(x, nin), *want = malloc(nout * 8);
    ref_resize_bilinear(want, xd, N, C, H, W, Ho, Wo);
    hb_tensor X = tu_upload(ctx, x, nin), Y = hb_alloc(ctx, nout);
    TU_RUN(ctx, cmd, hb_resize_bilinear(cmd, Y, X, N, C, H, W, Ho, Wo));
    float *got = tu_download(ctx, Y);
    char what[120];
    snprintf(what, sizeof what, "resize_bilinear N%d C%d %dx%d -> %dx%d", N, C, H, W, Ho, Wo);
    /* the kernel's source coordinates are floats (as PyTorch's): up to 2e-6 of a pixel off */
    tu_close(what, got, want, nout, 1e-5, 1e-5);
    free(got), free(x), free(xd), free(want);
    hb_free(ctx, X), hb_free(ctx, Y);
}

int main(void) {
    hb_ctx *ctx = tu_ctx();
    uint64_t rng = 3;
    check(ctx, &rng, 2, 3, 28, 28, 299, 299);
    check(ctx, &rng, 1, 1, 32, 32, 299, 299);
    check(ctx, &rng, 1, 3, 64, 64, 299, 299);
    check(ctx, &rng, 1, 2, 299, 299, 299, 299); /* identity */
    check(ctx, &rng, 2, 2, 40, 30, 17, 23);     /* down, uneven */
    check(ctx, &rng, 1, 1, 1, 1, 5, 3);         /* one pixel */
    check(ctx, &rng, 1, 3, 5, 7, 8, 2);
    return tu_finish(ctx);
}
