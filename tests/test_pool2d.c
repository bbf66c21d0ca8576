/* hb_pool2d vs ref_pool2d: max and average (count_include_pad=False) pooling, the Inception
 * network's windows (3x3 stride 2 valid, 3x3 stride 1 padded 1) and others, into a channel
 * range of the output whose other channels must keep what they held. */
#include <stdio.h>
#include <stdlib.h>

#include "ref/ref.h"
#include "testutil.h"

static void check(hb_ctx *ctx, uint64_t *rng, int N, int C, int H, int W, int max, int k,
                  int stride, int pad, int c_off, int c_total) {
    hb_pool2d_desc d = {N, C, H, W, max, k, stride, pad, c_off, c_total};
    int Ho = hb_window_out(H, k, stride, pad), Wo = hb_window_out(W, k, stride, pad);
    int ct = c_total ? c_total : C;
    size_t nin = (size_t)N * C * H * W, nref = (size_t)N * C * Ho * Wo,
           nout = (size_t)N * ct * Ho * Wo;
    float *x = malloc(nin * 4), *old = malloc(nout * 4);
    tu_rand(rng, x, nin, -2, 2);
    tu_rand(rng, old, nout, 5, 6);
    double *xd = tu_to_double(x, nin), *ref = malloc(nref * 8), *want = malloc(nout * 8);
    ref_pool2d(ref, xd, N, C, H, W, max, k, stride, pad);
    for (size_t i = 0; i < nout; i++) want[i] = old[i];
    for (int n = 0; n < N; n++)
        for (int c = 0; c < C; c++)
            for (int p = 0; p < Ho * Wo; p++)
                want[((size_t)n * ct + c_off + c) * Ho * Wo + p] =
                    ref[((size_t)n * C + c) * Ho * Wo + p];
    hb_tensor X = tu_upload(ctx, x, nin), Y = tu_upload(ctx, old, nout);
    TU_RUN(ctx, cmd, hb_pool2d(cmd, &d, Y, X));
    float *got = tu_download(ctx, Y);
    char what[160];
    snprintf(what, sizeof what, "%s N%d C%d %dx%d k%d s%d p%d c%d/%d",
             max ? "maxpool2d" : "avgpool2d", N, C, H, W, k, stride, pad, c_off, ct);
    tu_close(what, got, want, nout, 1e-6, 1e-6);
    free(got), free(x), free(old), free(xd), free(ref), free(want);
    hb_free(ctx, X), hb_free(ctx, Y);
}

int main(void) {
    hb_ctx *ctx = tu_ctx();
    uint64_t rng = 5;
    for (int max = 0; max <= 1; max++) {
        check(ctx, &rng, 2, 3, 15, 15, max, 3, 2, 0, 0, 0); /* 147 -> 73 style, odd */
        check(ctx, &rng, 1, 5, 16, 12, max, 3, 2, 0, 2, 9); /* even sizes, channel range */
        check(ctx, &rng, 2, 4, 7, 9, max, 3, 1, 1, 0, 0);   /* Mixed blocks' pool branch */
        check(ctx, &rng, 1, 3, 1, 1, max, 3, 1, 1, 1, 4);   /* every window mostly padding */
        check(ctx, &rng, 1, 2, 9, 8, max, 2, 2, 0, 0, 0);
        check(ctx, &rng, 2, 3, 10, 10, max, 5, 3, 2, 0, 3);
    }
    return tu_finish(ctx);
}
