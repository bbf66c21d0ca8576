/* Deterministic reductions: shaders/reduce.comp; reference: src/ref/ref_reduce.c;
 * test: tests/test_reduce.c. Also hb_affine_backward_params, which is two channel sums. */
#include "ops/op_common.h"
#include "ops/reduce.h"

typedef struct {
    uint32_t N, C, HW, x_off, y_off, out_off;
    float scale;
} reduce_push;

void hb_reduce(hb_cmd *cmd, const char *name, hb_reduce_op op, hb_tensor out, hb_tensor x,
               hb_tensor y, uint32_t N, uint32_t C, uint32_t HW, float scale) {
    uint64_t n = (uint64_t)N * C * HW;
    hb_require(name, "x", x, n);
    if (op == HB_REDUCE_PROD || op == HB_REDUCE_DIFFSQ) hb_require(name, "y", y, n);
    hb_require(name, "output", out, C);
    hb_ctx *ctx = hb_cmd_ctx(cmd);
    hb_tensor in[2] = {x, y};
    uint32_t vec = hb_vec4_ok(in, 2, HW) ? 4 : 1;
    uint32_t spec[3] = {hb_ctx_tuning(ctx)->local_size, op, vec};
    char sig[4] = {vec == 4 ? 'R' : 'r', vec == 4 ? 'R' : 'r', 'w', 0};
    hb_pipeline *pl = hb_pipeline_get(ctx, "reduce", sig, spec, 3);
    hb_tensor y_ = hb_or(y, x);
    hb_tensor t[3] = {x, y_, out};
    reduce_push pc = {N, C, HW / vec, x.off / vec, y_.off / vec, out.off, scale};
    hb_dispatch(cmd, name, pl, t, &pc, sizeof pc, C, 1, 1);
}

void hb_reduce_sum(hb_cmd *cmd, hb_tensor out, hb_tensor x, float scale) {
    hb_reduce(cmd, "reduce_sum", HB_REDUCE_SUM, out, x, HB_NONE, 1, 1, x.n, scale);
}
void hb_reduce_sumsq(hb_cmd *cmd, hb_tensor out, hb_tensor x, float scale) {
    hb_reduce(cmd, "reduce_sumsq", HB_REDUCE_SUMSQ, out, x, HB_NONE, 1, 1, x.n, scale);
}
void hb_sqnorm_rows(hb_cmd *cmd, hb_tensor out, hb_tensor x, int rows, int cols) {
    hb_reduce(cmd, "sqnorm_rows", HB_REDUCE_SUMSQ, out, x, HB_NONE, 1, (uint32_t)rows,
              (uint32_t)cols, 1);
}
void hb_channel_sum(hb_cmd *cmd, hb_tensor out, hb_tensor x, hb_tensor y, int N, int C, int HW) {
    hb_reduce(cmd, "channel_sum", y.buf ? HB_REDUCE_PROD : HB_REDUCE_SUM, out, x, y,
              (uint32_t)N, (uint32_t)C, (uint32_t)HW, 1);
}
void hb_affine_backward_params(hb_cmd *cmd, hb_tensor ggamma, hb_tensor gbeta, hb_tensor gy,
                               hb_tensor x, int N, int C, int HW) {
    hb_channel_sum(cmd, ggamma, gy, x, N, C, HW);
    hb_channel_sum(cmd, gbeta, gy, HB_NONE, N, C, HW);
}
