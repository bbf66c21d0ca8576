/* Mean squared error, loss and gradient in one dispatch: shaders/mse.comp; reference:
 * src/ref/ref_mse.c; test: tests/test_mse.c. */
#include "ops/op_common.h"

typedef struct {
    uint32_t n, a_off, b_off, g_off, loss_off, grad_groups;
    float coef, scale;
} mse_push;

void hb_mse(hb_cmd *cmd, hb_tensor loss, hb_tensor grad, hb_tensor a, hb_tensor b, float factor) {
    uint32_t n = a.n;
    hb_require("mse", "b", b, n);
    hb_require("mse", "loss", loss, 1);
    if (grad.buf) hb_require("mse", "grad", grad, n);
    hb_ctx *ctx = hb_cmd_ctx(cmd);
    hb_tensor big[3] = {a, b, grad};
    uint32_t vec = hb_vec4_ok(big, 3, n) ? 4 : 1;
    uint32_t local = hb_ctx_tuning(ctx)->reduce_local_size;
    hb_require_loop_budget(ctx, "mse", ((uint64_t)n / vec + local - 1) / local);
    uint32_t spec[2] = {local, vec};
    char sig[5] = {vec == 4 ? 'R' : 'r', vec == 4 ? 'R' : 'r', vec == 4 ? 'W' : 'w', 'w', 0};
    hb_pipeline *pl = hb_pipeline_get(ctx, "mse", sig, spec, 2);
    hb_tensor g = hb_or(grad, loss);
    hb_tensor t[4] = {a, b, g, loss};
    uint32_t grad_groups = grad.buf ? (n / vec + local - 1) / local : 0;
    mse_push pc = {n / vec, a.off / vec, b.off / vec, g.off / vec, loss.off, grad_groups,
                   2 * factor / (float)n, factor / (float)n};
    /* one more workgroup than the gradient needs: the first one sums the loss */
    hb_dispatch_1d(cmd, "mse", pl, t, &pc, sizeof pc, (uint64_t)(grad_groups + 1) * local, local);
}
