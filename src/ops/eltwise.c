/* Elementwise ops: shaders/eltwise.comp; reference: src/ref/ref_eltwise.c;
 * test: tests/test_eltwise.c. */
#include "ops/op_common.h"

enum { FILL, AXPBY, ADD, RELU, RELU_BWD, TANH, TANH_BWD, AFFINE, AFFINE_BWD, AFFINE_RELU };

typedef struct {
    uint32_t n, a_off, b_off, p_off, old_off, y_off;
    float alpha, beta;
    uint32_t C, HW, first;
} eltwise_push;

/* a, b, p are the inputs the op uses (HB_NONE otherwise); y the output (n = y.n). Dispatched
 * in chunks that each fit one storage window. */
static void eltwise(hb_cmd *cmd, const char *name, uint32_t op, hb_tensor y, hb_tensor a,
                    hb_tensor b, hb_tensor p, float alpha, float beta, uint32_t C, uint32_t HW,
                    int accumulate) {
    hb_ctx *ctx = hb_cmd_ctx(cmd);
    uint32_t n = y.n;
    int per_channel = op == AFFINE || op == AFFINE_BWD || op == AFFINE_RELU;
    if (a.buf) hb_require(name, "input", a, n);
    if (b.buf && !per_channel) hb_require(name, "second input", b, n);
    /* per-channel params are read as floats, so only a, y (and b if elementwise) go vec4 */
    hb_tensor big[3] = {y, a, per_channel ? HB_NONE : b};
    uint32_t vec = hb_vec4_ok(big, 3, n) ? 4 : 1;
    uint32_t local = hb_ctx_tuning(ctx)->local_size;
    uint32_t reads_old = accumulate || (op == AXPBY && beta != 0.0f);
    uint32_t spec[5] = {local, op, vec, per_channel && vec == 4 && HW % 4 == 0, reads_old};
    char sig[6] = {vec == 4 ? 'R' : 'r', (vec == 4 && !per_channel) ? 'R' : 'r', 'r',
                   vec == 4 ? 'R' : 'r', vec == 4 ? 'S' : 's', 0};
    hb_pipeline *pl = hb_pipeline_get(ctx, "eltwise", sig, spec, 5);
    uint32_t chunk = (uint32_t)(hb_max_window_floats(ctx) & ~(size_t)3);
    for (uint32_t c0 = 0; c0 < n; c0 += chunk) {
        uint32_t cn = n - c0 < chunk ? n - c0 : chunk;
        hb_tensor yc = hb_slice(y, c0, cn);
        hb_tensor ac = a.buf ? hb_slice(a, c0, cn) : yc;
        hb_tensor bc = b.buf ? (per_channel ? b : hb_slice(b, c0, cn)) : ac;
        hb_tensor pt = hb_or(p, ac);
        hb_tensor t[5] = {ac, bc, pt, yc, yc};
        eltwise_push pc = {cn / vec, ac.off / vec, per_channel ? bc.off : bc.off / vec, pt.off,
                           yc.off / vec, hb_window_off(ctx, yc) / vec, alpha, beta, C, HW, c0};
        hb_dispatch_1d(cmd, name, pl, t, &pc, sizeof pc, cn / vec, local);
    }
}

void hb_fill(hb_cmd *cmd, hb_tensor y, float value) {
    eltwise(cmd, "fill", FILL, y, HB_NONE, HB_NONE, HB_NONE, value, 0, 1, 1, 0);
}
void hb_axpby(hb_cmd *cmd, hb_tensor y, hb_tensor x, float alpha, float beta) {
    eltwise(cmd, "axpby", AXPBY, y, x, HB_NONE, HB_NONE, alpha, beta, 1, 1, 0);
}
void hb_add(hb_cmd *cmd, hb_tensor c, hb_tensor a, hb_tensor b) {
    eltwise(cmd, "add", ADD, c, a, b, HB_NONE, 0, 0, 1, 1, 0);
}
void hb_relu(hb_cmd *cmd, hb_tensor y, hb_tensor x) {
    eltwise(cmd, "relu", RELU, y, x, HB_NONE, HB_NONE, 0, 0, 1, 1, 0);
}
void hb_relu_backward(hb_cmd *cmd, hb_tensor gx, hb_tensor gy, hb_tensor x, int accumulate) {
    eltwise(cmd, "relu_backward", RELU_BWD, gx, gy, x, HB_NONE, 0, 0, 1, 1, accumulate);
}
void hb_tanh(hb_cmd *cmd, hb_tensor y, hb_tensor x, float scale) {
    eltwise(cmd, "tanh", TANH, y, x, HB_NONE, HB_NONE, scale, 0, 1, 1, 0);
}
void hb_tanh_backward(hb_cmd *cmd, hb_tensor gx, hb_tensor gy, hb_tensor y, float scale) {
    eltwise(cmd, "tanh_backward", TANH_BWD, gx, gy, y, HB_NONE, scale, 0, 1, 1, 0);
}
/* AFFINE or AFFINE_RELU */
static void affine(hb_cmd *cmd, const char *name, uint32_t op, hb_tensor y, hb_tensor x,
                   hb_tensor gamma, hb_tensor beta, int N, int C, int HW) {
    hb_require(name, "gamma", gamma, (uint64_t)C);
    hb_require(name, "beta", beta, (uint64_t)C);
    hb_require(name, "output", y, (uint64_t)N * C * HW);
    eltwise(cmd, name, op, hb_slice(y, 0, (uint32_t)N * C * HW), x, gamma, beta, 0, 0,
            (uint32_t)C, (uint32_t)HW, 0);
}
void hb_affine(hb_cmd *cmd, hb_tensor y, hb_tensor x, hb_tensor gamma, hb_tensor beta, int N,
               int C, int HW) {
    affine(cmd, "affine", AFFINE, y, x, gamma, beta, N, C, HW);
}
void hb_affine_relu(hb_cmd *cmd, hb_tensor y, hb_tensor x, hb_tensor gamma, hb_tensor beta,
                    int N, int C, int HW) {
    affine(cmd, "affine_relu", AFFINE_RELU, y, x, gamma, beta, N, C, HW);
}
void hb_affine_backward(hb_cmd *cmd, hb_tensor gx, hb_tensor gy, hb_tensor gamma, int N, int C,
                        int HW, int accumulate) {
    hb_require("affine_backward", "gamma", gamma, (uint64_t)C);
    hb_require("affine_backward", "gx", gx, (uint64_t)N * C * HW);
    eltwise(cmd, "affine_backward", AFFINE_BWD, hb_slice(gx, 0, (uint32_t)N * C * HW), gy, gamma,
            HB_NONE, 0, 0, (uint32_t)C, (uint32_t)HW, accumulate);
}
