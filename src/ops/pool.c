/* Average pooling: shaders/pool.comp; reference: src/ref/ref_pool.c; test: tests/test_pool.c. */
#include "ops/op_common.h"

enum { AVGPOOL2, AVGPOOL2_BWD, GLOBAL, GLOBAL_BWD };

typedef struct {
    uint32_t n, x_off, old_off, mask_off, y_off, W, HW;
} pool_push;

/* y (n floats) from x; the old y is read back only when accumulating (otherwise x stands in,
 * so no false dependency on y's earlier writers is recorded). y is written in chunks that each
 * fit one storage window, made of whole units: `unit` output floats computed from
 * `in_per_unit` input floats (rows, or planes), so the kernel's index maths stays local.
 * relu: global pooling of relu(x); backward: masked by mask, the relu's input (shaped like y). */
static void pool(hb_cmd *cmd, const char *name, uint32_t op, hb_tensor y, hb_tensor x, uint32_t n,
                 uint32_t W, uint32_t HW, int accumulate, uint32_t unit, uint32_t in_per_unit,
                 int relu, hb_tensor mask) {
    hb_ctx *ctx = hb_cmd_ctx(cmd);
    uint32_t local = hb_ctx_tuning(ctx)->local_size;
    hb_tensor wide[2] = {y, mask};
    uint32_t vec = hb_vec4_ok(wide, 2, n) ? 4 : 1;
    uint32_t aligned4 = op == AVGPOOL2       ? W % 8 == 0 && x.off % 4 == 0
                        : op == AVGPOOL2_BWD ? W % 4 == 0
                        : op == GLOBAL       ? HW % 4 == 0 && x.off % 4 == 0
                                             : HW % 4 == 0;
    uint32_t x_vec4 = (op == AVGPOOL2 && vec == 4 && aligned4) || (op == GLOBAL && aligned4);
    uint32_t spec[6] = {local, op, vec, accumulate != 0, relu != 0, aligned4};
    char sig[5] = {x_vec4 ? 'R' : 'r', vec == 4 ? 'R' : 'r', vec == 4 ? 'S' : 's',
                   vec == 4 ? 'R' : 'r', 0};
    hb_pipeline *pl = hb_pipeline_get(ctx, "pool", sig, spec, 6);
    size_t most = hb_max_window_floats(ctx);
    if (most > (1u << 24)) most = 1u << 24; /* the kernel's float-based division is exact below */
    uint32_t units = (uint32_t)(most / unit) & ~3u;
    if (!units) hb_die(1, "%s: one row of %u floats exceeds the storage window", name, unit);
    for (uint32_t u0 = 0; u0 * unit < n; u0 += units) {
        uint32_t cn = n - u0 * unit < units * unit ? n - u0 * unit : units * unit;
        hb_tensor yc = hb_slice(y, u0 * unit, cn);
        hb_tensor xc = hb_slice(x, u0 * in_per_unit, cn / unit * in_per_unit);
        hb_tensor mc = mask.buf ? hb_slice(mask, u0 * unit, cn) : xc; /* unread stand-in */
        hb_tensor t[4] = {xc, accumulate ? yc : xc, yc, mc};
        /* the aligned vec4 avgpool2 backward writes two rows' vec4s per invocation */
        uint32_t count = cn / vec / (op == AVGPOOL2_BWD && vec == 4 && aligned4 ? 2 : 1);
        pool_push pc = {count,        xc.off, yc.off / vec, mc.off / vec,
                        hb_window_off(ctx, yc) / vec, W, HW};
        hb_dispatch_1d(cmd, name, pl, t, &pc, sizeof pc, count, local);
    }
}

void hb_avgpool2(hb_cmd *cmd, hb_tensor y, hb_tensor x, int N, int C, int H, int W) {
    if (H % 2 || W % 2) hb_die(1, "avgpool2: H and W must be even (got %dx%d)", H, W);
    uint64_t n = (uint64_t)N * C * H * W;
    hb_require("avgpool2", "x", x, n);
    hb_require("avgpool2", "y", y, n / 4);
    /* unit: one output row, from two input rows */
    pool(cmd, "avgpool2", AVGPOOL2, y, x, (uint32_t)(n / 4), (uint32_t)W, 1, 0, (uint32_t)W / 2,
         2 * (uint32_t)W, 0, HB_NONE);
}

void hb_avgpool2_backward(hb_cmd *cmd, hb_tensor gx, hb_tensor gy, int N, int C, int H, int W,
                          int accumulate) {
    if (H % 2 || W % 2) hb_die(1, "avgpool2_backward: H and W must be even (got %dx%d)", H, W);
    uint64_t n = (uint64_t)N * C * H * W;
    hb_require("avgpool2_backward", "gy", gy, n / 4);
    hb_require("avgpool2_backward", "gx", gx, n);
    /* unit: two output rows, from one input row */
    pool(cmd, "avgpool2_backward", AVGPOOL2_BWD, gx, gy, (uint32_t)n, (uint32_t)W, 1, accumulate,
         2 * (uint32_t)W, (uint32_t)W / 2, 0, HB_NONE);
}

static void global_avgpool(hb_cmd *cmd, const char *name, hb_tensor y, hb_tensor x, int N, int C,
                           int HW, int relu) {
    uint64_t n = (uint64_t)N * C;
    hb_require(name, "x", x, n * HW);
    hb_require(name, "y", y, n);
    pool(cmd, name, GLOBAL, y, x, (uint32_t)n, 1, (uint32_t)HW, 0, 1, (uint32_t)HW, relu, HB_NONE);
}
void hb_global_avgpool(hb_cmd *cmd, hb_tensor y, hb_tensor x, int N, int C, int HW) {
    global_avgpool(cmd, "global_avgpool", y, x, N, C, HW, 0);
}
void hb_global_avgpool_relu(hb_cmd *cmd, hb_tensor y, hb_tensor x, int N, int C, int HW) {
    global_avgpool(cmd, "global_avgpool_relu", y, x, N, C, HW, 1);
}

static void global_avgpool_backward(hb_cmd *cmd, const char *name, hb_tensor gx, hb_tensor gy,
                                    hb_tensor mask, int N, int C, int HW) {
    uint64_t n = (uint64_t)N * C * HW;
    hb_require(name, "gy", gy, (uint64_t)N * C);
    hb_require(name, "gx", gx, n);
    if (mask.buf) hb_require(name, "x", mask, n);
    pool(cmd, name, GLOBAL_BWD, gx, gy, (uint32_t)n, 1, (uint32_t)HW, 0, (uint32_t)HW, 1,
         mask.buf != NULL, mask);
}
void hb_global_avgpool_backward(hb_cmd *cmd, hb_tensor gx, hb_tensor gy, int N, int C, int HW) {
    global_avgpool_backward(cmd, "global_avgpool_backward", gx, gy, HB_NONE, N, C, HW);
}
void hb_global_avgpool_relu_backward(hb_cmd *cmd, hb_tensor gx, hb_tensor gy, hb_tensor x, int N,
                                     int C, int HW) {
    global_avgpool_backward(cmd, "global_avgpool_relu_backward", gx, gy, x, N, C, HW);
}
