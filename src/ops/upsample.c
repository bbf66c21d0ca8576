/* 2x upsampling: shaders/upsample.comp; reference: src/ref/ref_upsample.c;
 * test: tests/test_upsample.c. */
#include "ops/op_common.h"

enum { BILINEAR, BILINEAR_BWD, NEAREST, NEAREST_BWD };

typedef struct {
    uint32_t n, x_off, y_off, H, W;
} upsample_push;

/* Forward ops write N*C*4HW floats of y, backward ops N*C*HW floats of gx. */
static void upsample(hb_cmd *cmd, const char *name, uint32_t op, hb_tensor y, hb_tensor x, int N,
                     int C, int H, int W) {
    int backward = op == BILINEAR_BWD || op == NEAREST_BWD;
    uint64_t small = (uint64_t)N * C * H * W;
    hb_require(name, backward ? "gy" : "x", x, backward ? 4 * small : small);
    hb_require(name, backward ? "gx" : "y", y, backward ? small : 4 * small);
    hb_ctx *ctx = hb_cmd_ctx(cmd);
    uint32_t local = hb_ctx_tuning(ctx)->local_size;
    uint32_t n = (uint32_t)(backward ? small : 4 * small);
    uint32_t vec = hb_vec4_ok(&y, 1, n) ? 4 : 1;
    uint32_t spec[3] = {local, op, vec};
    hb_pipeline *pl = hb_pipeline_get(ctx, "upsample", vec == 4 ? "rW" : "rw", spec, 3);
    hb_tensor t[2] = {x, y};
    upsample_push pc = {n / vec, x.off, y.off / vec, (uint32_t)H, (uint32_t)W};
    hb_dispatch_1d(cmd, name, pl, t, &pc, sizeof pc, n / vec, local);
}

void hb_upsample2_bilinear(hb_cmd *cmd, hb_tensor y, hb_tensor x, int N, int C, int H, int W) {
    upsample(cmd, "upsample2_bilinear", BILINEAR, y, x, N, C, H, W);
}
void hb_upsample2_bilinear_backward(hb_cmd *cmd, hb_tensor gx, hb_tensor gy, int N, int C, int H,
                                    int W) {
    upsample(cmd, "upsample2_bilinear_backward", BILINEAR_BWD, gx, gy, N, C, H, W);
}
void hb_upsample2_nearest(hb_cmd *cmd, hb_tensor y, hb_tensor x, int N, int C, int H, int W) {
    upsample(cmd, "upsample2_nearest", NEAREST, y, x, N, C, H, W);
}
void hb_upsample2_nearest_backward(hb_cmd *cmd, hb_tensor gx, hb_tensor gy, int N, int C, int H,
                                   int W) {
    upsample(cmd, "upsample2_nearest_backward", NEAREST_BWD, gx, gy, N, C, H, W);
}
