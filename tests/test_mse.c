/* hb_mse vs ref_mse: loss and gradient on float and vec4 paths, without a gradient, large
 * inputs, run-to-run bit identity, and finite differences of the loss. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ref/ref.h"
#include "testutil.h"

typedef struct {
    const double *b;
    size_t n;
    double factor;
} loss_ctx;

static double loss(void *u, const double *a) {
    loss_ctx *c = u;
    return ref_mse(NULL, a, c->b, c->n, c->factor);
}

static void check(hb_ctx *ctx, uint64_t *rng, size_t n, uint32_t shift, float factor) {
    char what[160];
    float *a = malloc(n * 4), *b = malloc(n * 4);
    tu_rand(rng, a, n, -1, 1);
    tu_rand(rng, b, n, -1, 1);
    double *ad = tu_to_double(a, n), *bd = tu_to_double(b, n), *want = malloc(n * 8);
    double wl = ref_mse(want, ad, bd, n, factor);
    hb_tensor base[3] = {hb_alloc(ctx, n + shift), hb_alloc(ctx, n + shift),
                         hb_alloc(ctx, n + shift)};
    hb_tensor A = hb_slice(base[0], shift, (uint32_t)n), B = hb_slice(base[1], shift, (uint32_t)n);
    hb_tensor G = hb_slice(base[2], shift, (uint32_t)n), L = hb_alloc(ctx, 1);
    hb_upload(ctx, A, a);
    hb_upload(ctx, B, b);
    float got_l, again_l;

    TU_RUN(ctx, cmd, hb_mse(cmd, L, G, A, B, factor));
    hb_download(ctx, L, &got_l);
    float *got = tu_download(ctx, G);
    /* every term is positive, so the float sum is good to a small relative error */
    snprintf(what, sizeof what, "mse loss n%zu shift%u factor %g", n, shift, factor);
    tu_close(what, &got_l, &wl, 1, 1e-6, 0);
    snprintf(what, sizeof what, "mse grad n%zu shift%u factor %g", n, shift, factor);
    tu_close(what, got, want, n, 1e-6, 1e-12);
    double *gotd = tu_to_double(got, n);
    loss_ctx lc = {bd, n, factor};
    tu_fd_check(what, loss, &lc, ad, n, gotd, 16, 1e-3, 1e-4, 1e-9);

    /* without a gradient, and again: the loss has the same bits */
    TU_RUN(ctx, cmd, hb_mse(cmd, L, HB_NONE, A, B, factor));
    hb_download(ctx, L, &again_l);
    snprintf(what, sizeof what, "mse n%zu shift%u: loss without grad bit-identical", n, shift);
    tu_check(memcmp(&got_l, &again_l, 4) == 0, "%s (%.9g vs %.9g)", what, got_l, again_l);

    for (int i = 0; i < 3; i++) hb_free(ctx, base[i]);
    hb_free(ctx, L);
    free(a), free(b), free(ad), free(bd), free(want), free(got), free(gotd);
}

int main(void) {
    hb_ctx *ctx = tu_ctx();
    uint64_t rng = 5;
    const size_t sizes[] = {1, 3, 4, 7, 1024, 5 * 4096 + 1, 64 * 1024, 3u << 20};
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++)
        for (uint32_t shift = 0; shift <= 1; shift++)
            check(ctx, &rng, sizes[s], shift, s % 2 ? 0.5f : 1.0f);
    return tu_finish(ctx);
}
