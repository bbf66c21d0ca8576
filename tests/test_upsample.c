/* 2x upsampling vs src/ref/ref_upsample.c, a hand-checked PyTorch case, and finite differences
 * of the forward for both backward passes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ref/ref.h"
#include "testutil.h"

/* F.interpolate(torch.tensor([[[[1., 2.], [3., 4.]]]]), scale_factor=2, mode='bilinear',
 * align_corners=False); every weight is a multiple of 1/16, so float results are exact. */
static void check_pytorch(hb_ctx *ctx) {
    const float x[4] = {1, 2, 3, 4}, ones[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    const double want[16] = {1.0, 1.25, 1.75, 2.0, 1.5, 1.75, 2.25, 2.5,
                             2.5, 2.75, 3.25, 3.5, 3.0, 3.25, 3.75, 4.0};
    /* each input pixel receives total weight 4 from the 16 outputs, by symmetry */
    const double want_g[4] = {4, 4, 4, 4};
    hb_tensor X = tu_upload(ctx, x, 4), Y = hb_alloc(ctx, 16), G = tu_upload(ctx, ones, 16);
    hb_tensor GX = hb_alloc(ctx, 4);
    TU_RUN(ctx, cmd, hb_upsample2_bilinear(cmd, Y, X, 1, 1, 2, 2));
    TU_RUN(ctx, cmd, hb_upsample2_bilinear_backward(cmd, GX, G, 1, 1, 2, 2));
    float *got = tu_download(ctx, Y), *gotg = tu_download(ctx, GX);
    tu_close("upsample2_bilinear [[1,2],[3,4]] equals PyTorch", got, want, 16, 0, 0);
    tu_close("upsample2_bilinear_backward of ones on 2x2", gotg, want_g, 4, 0, 0);
    free(got), free(gotg);
    hb_free(ctx, X), hb_free(ctx, Y), hb_free(ctx, G), hb_free(ctx, GX);
}

/* shift > 0 offsets every tensor so the push-constant offsets are exercised */
static void check_shape(hb_ctx *ctx, uint64_t *rng, int bilinear, int N, int C, int H, int W,
                        uint32_t shift) {
    size_t nin = (size_t)N * C * H * W, nout = 4 * nin;
    const char *name = bilinear ? "upsample2_bilinear" : "upsample2_nearest";
    char what[160];
    float *x = malloc(nin * 4), *gy = malloc(nout * 4), *got;
    tu_rand(rng, x, nin, -2, 2);
    tu_rand(rng, gy, nout, -1, 1);
    double *xd = tu_to_double(x, nin), *gyd = tu_to_double(gy, nout);
    double *want = malloc(nout * 8);
    hb_tensor base[4] = {hb_alloc(ctx, nin + shift), hb_alloc(ctx, nin + shift),
                         hb_alloc(ctx, nout + shift), hb_alloc(ctx, nout + shift)};
    hb_tensor X = hb_slice(base[0], shift, (uint32_t)nin);
    hb_tensor GX = hb_slice(base[1], shift, (uint32_t)nin);
    hb_tensor Y = hb_slice(base[2], shift, (uint32_t)nout);
    hb_tensor GY = hb_slice(base[3], shift, (uint32_t)nout);
    hb_upload(ctx, X, x);
    hb_upload(ctx, GY, gy);

    if (bilinear) {
        TU_RUN(ctx, cmd, hb_upsample2_bilinear(cmd, Y, X, N, C, H, W));
        ref_upsample2_bilinear(want, xd, N, C, H, W);
    } else {
        TU_RUN(ctx, cmd, hb_upsample2_nearest(cmd, Y, X, N, C, H, W));
        ref_upsample2_nearest(want, xd, N, C, H, W);
    }
    got = tu_download(ctx, Y);
    snprintf(what, sizeof what, "%s N%d C%d %dx%d shift%u", name, N, C, H, W, shift);
    tu_close(what, got, want, nout, 1e-6, 1e-6);
    free(got);

    if (bilinear) {
        TU_RUN(ctx, cmd, hb_upsample2_bilinear_backward(cmd, GX, GY, N, C, H, W));
        ref_upsample2_bilinear_backward(want, gyd, N, C, H, W);
    } else {
        TU_RUN(ctx, cmd, hb_upsample2_nearest_backward(cmd, GX, GY, N, C, H, W));
        ref_upsample2_nearest_backward(want, gyd, N, C, H, W);
    }
    got = tu_download(ctx, GX);
    snprintf(what, sizeof what, "%s_backward N%d C%d %dx%d shift%u", name, N, C, H, W, shift);
    tu_close(what, got, want, nin, 1e-6, 1e-6);
    double *gotd = tu_to_double(got, nin);
    tu_map_ctx lc = {bilinear ? ref_upsample2_bilinear : ref_upsample2_nearest, gyd, N, C, H, W,
                   nout};
    tu_fd_check(what, tu_map_loss, &lc, xd, nin, gotd, 16, 1e-3, 1e-5, 1e-5);

    /* deterministic: a second run gives the same bits */
    if (bilinear) TU_RUN(ctx, cmd, hb_upsample2_bilinear_backward(cmd, GX, GY, N, C, H, W));
    else TU_RUN(ctx, cmd, hb_upsample2_nearest_backward(cmd, GX, GY, N, C, H, W));
    float *again = tu_download(ctx, GX);
    snprintf(what, sizeof what, "%s_backward N%d C%d %dx%d: second run bit-identical", name, N,
             C, H, W);
    tu_check(memcmp(got, again, nin * 4) == 0, "%s", what);
    free(got), free(gotd), free(again);

    for (int i = 0; i < 4; i++) hb_free(ctx, base[i]);
    free(x), free(gy), free(xd), free(gyd), free(want);
}

int main(void) {
    hb_ctx *ctx = tu_ctx();
    uint64_t rng = 11;
    check_pytorch(ctx);
    /* {N, C, H, W} */
    const int shapes[][4] = {{1, 1, 1, 1},  {5, 3, 2, 2},   {1, 7, 4, 4}, {5, 33, 7, 7},
                             {1, 33, 32, 32}, {5, 1, 1, 5}, {1, 3, 3, 1}, {5, 7, 32, 32},
                             {1, 1, 2, 7}};
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++)
        for (int bilinear = 0; bilinear <= 1; bilinear++)
            for (uint32_t shift = 0; shift <= 1; shift++)
                check_shape(ctx, &rng, bilinear, shapes[s][0], shapes[s][1], shapes[s][2],
                            shapes[s][3], shift);
    return tu_finish(ctx);
}
