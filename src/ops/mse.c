/* Mean squared error: loss by shaders/reduce.comp, gradient by shaders/mse.comp;
 * reference: ref_mse in src/ref/ref_reduce.c; test: tests/test_mse.c. */
#include "ops/op_common.h"
#include "ops/reduce.h"

typedef struct {
    uint32_t n, a_off, b_off, g_off;
    float coef;
} mse_push;

void hb_mse(hb_cmd *cmd, hb_tensor loss, hb_tensor grad, hb_tensor a, hb_tensor b, float factor) {
    uint32_t n = a.n;
    hb_require("mse", "b", b, n);
    hb_reduce(cmd, "mse", HB_REDUCE_DIFFSQ, loss, a, b, 1, 1, n, factor / (float)n);
    if (!grad.buf) return;
    hb_require("mse", "grad", grad, n);
    hb_ctx *ctx = hb_cmd_ctx(cmd);
    hb_tensor t[3] = {a, b, grad};
    uint32_t vec = hb_vec4_ok(t, 3, n) ? 4 : 1;
    uint32_t local = hb_ctx_tuning(ctx)->local_size;
    uint32_t spec[2] = {local, vec};
    char sig[4] = {vec == 4 ? 'R' : 'r', vec == 4 ? 'R' : 'r', vec == 4 ? 'W' : 'w', 0};
    hb_pipeline *pl = hb_pipeline_get(ctx, "mse", sig, spec, 2);
    mse_push pc = {n / vec, a.off / vec, b.off / vec, grad.off / vec, 2 * factor / (float)n};
    hb_dispatch_1d(cmd, "mse_grad", pl, t, &pc, sizeof pc, n / vec, local);
}
