/* hb_softmax_xent vs ref_softmax_xent: losses, arg-max hits and gradients for several class
 * counts and unaligned tensors, without a gradient, and finite differences of the loss. */
#include <stdio.h>
#include <stdlib.h>

#include "ref/ref.h"
#include "testutil.h"

typedef struct {
    const int *labels;
    int N, C;
} xent_ctx;

static double loss(void *u, const double *logits) {
    xent_ctx *c = u;
    return ref_softmax_xent(NULL, NULL, NULL, logits, c->labels, c->N, c->C, 1.0);
}

static void check(hb_ctx *ctx, uint64_t *rng, int N, int C, uint32_t shift, float scale) {
    char what[160];
    size_t NC = (size_t)N * C;
    float *logits = malloc(NC * 4), *labels_f = malloc((size_t)N * 4);
    int *labels = malloc((size_t)N * sizeof *labels);
    tu_rand(rng, logits, NC, -4, 4);
    for (int n = 0; n < N; n++) {
        float u;
        tu_rand(rng, &u, 1, 0, (float)C);
        labels[n] = (int)u < C ? (int)u : C - 1;
        labels_f[n] = (float)labels[n];
        if (n % 3 == 0) logits[(size_t)n * C + labels[n]] += 6; /* some rows right */
    }
    double *ld = tu_to_double(logits, NC), *want_loss = malloc((size_t)N * 8);
    double *want_correct = malloc((size_t)N * 8), *want_grad = malloc(NC * 8);
    ref_softmax_xent(want_loss, want_correct, want_grad, ld, labels, N, C, scale);

    hb_tensor base = hb_alloc(ctx, NC + shift), gbase = hb_alloc(ctx, NC + shift);
    hb_tensor L = hb_slice(base, shift, (uint32_t)NC), G = hb_slice(gbase, shift, (uint32_t)NC);
    hb_tensor lab = tu_upload(ctx, labels_f, (size_t)N);
    hb_tensor loss_t = hb_alloc(ctx, (size_t)N), correct_t = hb_alloc(ctx, (size_t)N);
    hb_upload(ctx, L, logits);
    TU_RUN(ctx, cmd, hb_softmax_xent(cmd, loss_t, correct_t, G, L, lab, N, C, scale));
    float *got_loss = tu_download(ctx, loss_t), *got_correct = tu_download(ctx, correct_t);
    float *got_grad = tu_download(ctx, G);
    snprintf(what, sizeof what, "xent N%d C%d shift%u loss", N, C, shift);
    tu_close(what, got_loss, want_loss, (size_t)N, 1e-5, 1e-6);
    snprintf(what, sizeof what, "xent N%d C%d shift%u correct", N, C, shift);
    tu_close(what, got_correct, want_correct, (size_t)N, 0, 0);
    snprintf(what, sizeof what, "xent N%d C%d shift%u grad", N, C, shift);
    tu_close(what, got_grad, want_grad, NC, 1e-5, 1e-6);
    if (scale == 1.0f) {
        xent_ctx xc = {labels, N, C};
        double *gd = tu_to_double(got_grad, NC);
        snprintf(what, sizeof what, "xent N%d C%d finite differences", N, C);
        tu_fd_check(what, loss, &xc, ld, NC, gd, 24, 1e-4, 1e-3, 1e-6);
        free(gd);
    }
    /* without a gradient: the same losses */
    TU_RUN(ctx, cmd, hb_softmax_xent(cmd, loss_t, correct_t, HB_NONE, L, lab, N, C, scale));
    float *again = tu_download(ctx, loss_t);
    snprintf(what, sizeof what, "xent N%d C%d loss without grad", N, C);
    tu_close(what, again, want_loss, (size_t)N, 1e-5, 1e-6);

    hb_free(ctx, base), hb_free(ctx, gbase), hb_free(ctx, lab);
    hb_free(ctx, loss_t), hb_free(ctx, correct_t);
    free(logits), free(labels_f), free(labels), free(ld), free(want_loss), free(want_correct);
    free(want_grad), free(got_loss), free(got_correct), free(got_grad), free(again);
}

int main(void) {
    hb_ctx *ctx = tu_ctx();
    uint64_t rng = 11;
    check(ctx, &rng, 1, 2, 0, 1.0f);
    check(ctx, &rng, 7, 10, 1, 1.0f);
    check(ctx, &rng, 64, 10, 3, 1.0f / 64);
    check(ctx, &rng, 300, 3, 0, 0.5f);
    return tu_finish(ctx);
}
