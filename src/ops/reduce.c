/* Deterministic reductions: shaders/reduce.comp (reduce_subgroup.comp where
 * hb_tuning.subgroup_reduce); reference: src/ref/ref_reduce.c;
 * test: tests/test_reduce.c. Also hb_affine_backward_params, a channel sum with two outputs. */
#include "ops/op_common.h"

/* f per element; PROD_SUM also writes sum x to out2. Order matches shaders/reduce.comp. */
enum { SUM, SUMSQ, PROD, PROD_SUM };

typedef struct {
    uint32_t N, C, HW, x_off, y_off, out_off, out2_off;
    float scale;
} reduce_push;

/* out[o] = scale * sum over n < N, p < HW of f(x[e], y[e]), e = (n*C + o)*HW + p, o < C.
 * y and out2 are HB_NONE unless the op uses them. */
static void reduce(hb_cmd *cmd, const char *name, uint32_t op, hb_tensor out, hb_tensor out2,
                   hb_tensor x, hb_tensor y, uint32_t N, uint32_t C, uint32_t HW, float scale) {
    uint64_t n = (uint64_t)N * C * HW;
    hb_require(name, "x", x, n);
    if (op == PROD || op == PROD_SUM) hb_require(name, "y", y, n);
    hb_require(name, "output", out, C);
    if (op == PROD_SUM) hb_require(name, "second output", out2, C);
    hb_ctx *ctx = hb_cmd_ctx(cmd);
    hb_tensor in[2] = {x, y};
    uint32_t vec = hb_vec4_ok(in, 2, HW) ? 4 : 1;
    const hb_tuning *tuning = hb_ctx_tuning(ctx);
    uint32_t local = tuning->reduce_local_size;
    hb_require_loop_budget(ctx, name, ((uint64_t)N * HW / vec + local - 1) / local);
    uint32_t spec[3] = {local, op, vec};
    char sig[5] = {vec == 4 ? 'R' : 'r', vec == 4 ? 'R' : 'r', 'w', 'w', 0};
    hb_pipeline *pl = hb_pipeline_get(ctx, tuning->subgroup_reduce ? "reduce_subgroup" : "reduce",
                                      sig, spec, 3);
    hb_tensor y_ = hb_or(y, x), out2_ = hb_or(out2, out);
    hb_tensor t[4] = {x, y_, out, out2_};
    reduce_push pc = {N, C, HW / vec, x.off / vec, y_.off / vec, out.off, out2_.off, scale};
    hb_dispatch(cmd, name, pl, t, &pc, sizeof pc, C, 1, 1);
}

void hb_reduce_sum(hb_cmd *cmd, hb_tensor out, hb_tensor x, float scale) {
    reduce(cmd, "reduce_sum", SUM, out, HB_NONE, x, HB_NONE, 1, 1, x.n, scale);
}
void hb_reduce_sumsq(hb_cmd *cmd, hb_tensor out, hb_tensor x, float scale) {
    reduce(cmd, "reduce_sumsq", SUMSQ, out, HB_NONE, x, HB_NONE, 1, 1, x.n, scale);
}
void hb_sqnorm_rows(hb_cmd *cmd, hb_tensor out, hb_tensor x, int rows, int cols) {
    reduce(cmd, "sqnorm_rows", SUMSQ, out, HB_NONE, x, HB_NONE, 1, (uint32_t)rows,
           (uint32_t)cols, 1);
}
void hb_channel_sum(hb_cmd *cmd, hb_tensor out, hb_tensor x, hb_tensor y, int N, int C, int HW) {
    reduce(cmd, "channel_sum", y.buf ? PROD : SUM, out, HB_NONE, x, y, (uint32_t)N, (uint32_t)C,
           (uint32_t)HW, 1);
}
/* One pass over gy: ggamma = sum gy*x, gbeta = sum gy. */
void hb_affine_backward_params(hb_cmd *cmd, hb_tensor ggamma, hb_tensor gbeta, hb_tensor gy,
                               hb_tensor x, int N, int C, int HW) {
    reduce(cmd, "affine_backward_params", PROD_SUM, ggamma, gbeta, gy, x, (uint32_t)N,
           (uint32_t)C, (uint32_t)HW, 1);
}
