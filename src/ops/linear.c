/* Linear layers: shaders/linear.comp (strided GEMM, one dispatch per op);
 * reference: src/ref/ref_linear.c; test: tests/test_linear.c. */
#include "ops/op_common.h"

typedef struct {
    uint32_t total, nblocks, M, N, K;
    uint32_t a_off, a_sm, a_sk, b_off, b_sk, b_sn, c_off, bias_off;
    uint32_t has_bias, accumulate, rowsum, r_off;
} linear_push;

/* gemm() for the gpu kernel profile: shaders/linear_tiled.comp, shared-memory tiles */
static void gemm_tiled(hb_cmd *cmd, const char *name, hb_tensor c, hb_tensor a, uint32_t a_sm,
                       uint32_t a_sk, hb_tensor b, uint32_t b_sk, uint32_t b_sn, hb_tensor bias,
                       hb_tensor rowsum, uint32_t M, uint32_t N, uint32_t K, int accumulate) {
    hb_ctx *ctx = hb_cmd_ctx(cmd);
    const hb_gemm_tile *g = &hb_ctx_tuning(ctx)->gemm;
    uint32_t spec[5] = {(g->bm / g->tm) * (g->bn / g->tn), g->bm, g->bn, g->tm, g->tn};
    hb_pipeline *pl = hb_pipeline_get(ctx, "linear_tiled", "rrrrww", spec, 5);
    struct {
        uint32_t M, N, K, a_off, a_sm, a_sk, b_off, b_sk, b_sn, c_off, bias_off;
        uint32_t has_bias, accumulate, rowsum, r_off;
    } pc = {M, N, K, a.off, a_sm, a_sk, b.off, b_sk, b_sn, c.off, bias.buf ? bias.off : 0,
            bias.buf != NULL, (uint32_t)accumulate, rowsum.buf != NULL,
            rowsum.buf ? rowsum.off : 0};
    hb_tensor t[6] = {a, b, hb_or(bias, b), accumulate ? c : a, c, hb_or(rowsum, c)};
    hb_dispatch(cmd, name, pl, t, &pc, sizeof pc, (N + g->bn - 1) / g->bn, (M + g->bm - 1) / g->bm,
                1);
}

/* C[M][N] = sum_k A[a.off + m*a_sm + k*a_sk] * B[b.off + k*b_sk + n*b_sn] (+ bias) (+ C);
 * rowsum (unless HB_NONE) [M] = sum_k A(m, k). */
static void gemm(hb_cmd *cmd, const char *name, hb_tensor c, hb_tensor a, uint32_t a_sm,
                 uint32_t a_sk, hb_tensor b, uint32_t b_sk, uint32_t b_sn, hb_tensor bias,
                 hb_tensor rowsum, uint32_t M, uint32_t N, uint32_t K, int accumulate) {
    hb_ctx *ctx = hb_cmd_ctx(cmd);
    /* the k loop must stay within lavapipe's loop guard (HB_LOOP_BUDGET) */
    if (K > HB_LOOP_BUDGET)
        hb_die(1, "%s: reduction over %u elements (at most %u)", name, K, HB_LOOP_BUDGET);
    const hb_tuning *tuning = hb_ctx_tuning(ctx);
    if (tuning->kernels == HB_KERNELS_GPU) {
        gemm_tiled(cmd, name, c, a, a_sm, a_sk, b, b_sk, b_sn, bias, rowsum, M, N, K, accumulate);
        return;
    }
    uint32_t local = tuning->local_size;
    hb_pipeline *pl = hb_pipeline_get(ctx, "linear", "rrrrww", &local, 1);
    uint32_t nblocks = (N + 7) / 8;
    uint64_t total = (uint64_t)(M + 7) / 8 * nblocks;
    if (total > UINT32_MAX) hb_die(1, "%s: shape too large", name);
    linear_push pc = {(uint32_t)total, nblocks, M, N, K, a.off, a_sm, a_sk, b.off, b_sk, b_sn,
                      c.off, bias.buf ? bias.off : 0, bias.buf != NULL, (uint32_t)accumulate,
                      rowsum.buf != NULL, rowsum.buf ? rowsum.off : 0};
    /* absent bias, old value, rowsum: stand-in bindings the kernel does not touch */
    hb_tensor t[6] = {a, b, hb_or(bias, b), accumulate ? c : a, c, hb_or(rowsum, c)};
    hb_dispatch_1d(cmd, name, pl, t, &pc, sizeof pc, total, local);
}

void hb_linear_forward(hb_cmd *cmd, hb_tensor y, hb_tensor x, hb_tensor w, hb_tensor b, int N,
                       int in, int out) {
    const char *op = "linear_forward";
    hb_require(op, "x", x, (uint64_t)N * in);
    hb_require(op, "w", w, (uint64_t)out * in);
    hb_require(op, "y", y, (uint64_t)N * out);
    if (b.buf) hb_require(op, "b", b, (uint64_t)out);
    /* A = x [N][in], B(k, n) = w[n][k] */
    gemm(cmd, "linear_forward", y, x, (uint32_t)in, 1, w, 1, (uint32_t)in, b, HB_NONE, (uint32_t)N,
         (uint32_t)out, (uint32_t)in, 0);
}

void hb_linear_backward_data(hb_cmd *cmd, hb_tensor gx, hb_tensor gy, hb_tensor w, int N,
                             int in, int out, int accumulate) {
    const char *op = "linear_backward_data";
    hb_require(op, "gy", gy, (uint64_t)N * out);
    hb_require(op, "w", w, (uint64_t)out * in);
    hb_require(op, "gx", gx, (uint64_t)N * in);
    /* A = gy [N][out], B(k, n) = w[k][n] */
    gemm(cmd, "linear_backward_data", gx, gy, (uint32_t)out, 1, w, (uint32_t)in, 1, HB_NONE,
         HB_NONE, (uint32_t)N, (uint32_t)in, (uint32_t)out, accumulate);
}

void hb_linear_backward_weight(hb_cmd *cmd, hb_tensor gw, hb_tensor gb, hb_tensor x,
                               hb_tensor gy, int N, int in, int out) {
    const char *op = "linear_backward_weight";
    hb_require(op, "x", x, (uint64_t)N * in);
    hb_require(op, "gy", gy, (uint64_t)N * out);
    hb_require(op, "gw", gw, (uint64_t)out * in);
    if (gb.buf) hb_require(op, "gb", gb, (uint64_t)out);
    /* gw[o][i] = sum_n gy[n][o] x[n][i]: A(o, n) = gy[n][o], B(n, i) = x[n][i];
     * gb[o] = sum_n gy[n][o] is A's row sum */
    gemm(cmd, "linear_backward_weight", gw, gy, 1, (uint32_t)out, x, (uint32_t)in, 1, HB_NONE,
         gb, (uint32_t)out, (uint32_t)in, (uint32_t)N, 0);
}
