/* Softmax cross-entropy per row: shaders/xent.comp; reference: src/ref/ref_xent.c; test:
 * tests/test_xent.c. */
#include "ops/op_common.h"

typedef struct {
    uint32_t N, C, logits_off, labels_off, grad_off, loss_off, correct_off, want_grad;
    float scale;
} xent_push;

void hb_softmax_xent(hb_cmd *cmd, hb_tensor loss, hb_tensor correct, hb_tensor grad,
                     hb_tensor logits, hb_tensor labels, int N, int C, float scale) {
    hb_require("softmax_xent", "logits", logits, (uint32_t)(N * C));
    hb_require("softmax_xent", "labels", labels, (uint32_t)N);
    hb_require("softmax_xent", "loss", loss, (uint32_t)N);
    hb_require("softmax_xent", "correct", correct, (uint32_t)N);
    if (grad.buf) hb_require("softmax_xent", "grad", grad, (uint32_t)(N * C));
    hb_ctx *ctx = hb_cmd_ctx(cmd);
    uint32_t local = hb_ctx_tuning(ctx)->local_size;
    hb_require_loop_budget(ctx, "softmax_xent", (uint64_t)C);
    hb_pipeline *pl = hb_pipeline_get(ctx, "xent", "rrwww", &local, 1);
    hb_tensor g = hb_or(grad, loss);
    hb_tensor t[5] = {logits, labels, g, loss, correct};
    xent_push pc = {(uint32_t)N, (uint32_t)C, logits.off, labels.off, g.off, loss.off,
                    correct.off, grad.buf != 0, scale};
    hb_dispatch_1d(cmd, "xent", pl, t, &pc, sizeof pc, (uint64_t)N, local);
}
