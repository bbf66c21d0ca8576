/* 2x upsampling: shaders/upsample.comp; reference: src/ref/ref_upsample.c;
 * test: tests/test_upsample.c. */
#include "ops/op_common.h"

enum { BILINEAR, BILINEAR_BWD, NEAREST, NEAREST_BWD };

typedef struct {
    uint32_t n, x_off, y_off, H, W;
    uint32_t nbx, HR; /* blocked path only */
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
    if (!small) return;
    hb_tensor t[2] = {x, y};
    hb_tensor both[2] = {x, y};
    if ((op == BILINEAR || op == BILINEAR_BWD) && hb_vec4_ok(both, 2, (uint64_t)W)) {
        /* blocked path: RY input rows x BX input vec4 columns per invocation. Measured on
         * lavapipe: the forward (write-bound) is best with 2 blocks per invocation, the backward
         * with 4; larger tiles spill (RY 2 x BX 4 runs 2-3x slower). */
        uint32_t W4 = (uint32_t)W / 4, ry, bx;
        if (!backward) {
            bx = W4 % 2 == 0 ? 2 : 1;
            ry = bx == 1 && H % 2 == 0 ? 2 : 1;
        } else {
            bx = W4 % 4 == 0 ? 4 : W4 % 2 == 0 ? 2 : 1;
            ry = bx < 4 && H % 2 == 0 ? 2 : 1;
        }
        uint32_t nbx = W4 / bx, HR = (uint32_t)H / ry;
        uint64_t count = (uint64_t)N * C * HR * nbx;
        uint32_t spec[5] = {local, op, 4, ry, bx};
        hb_pipeline *pl = hb_pipeline_get(ctx, "upsample", "RW", spec, 5);
        upsample_push pc = {(uint32_t)count, x.off / 4, y.off / 4, (uint32_t)H, (uint32_t)W,
                            nbx, HR};
        hb_dispatch_1d(cmd, name, pl, t, &pc, sizeof pc, count, local);
        return;
    }
    uint32_t n = (uint32_t)(backward ? small : 4 * small);
    uint32_t vec = hb_vec4_ok(&y, 1, n) ? 4 : 1;
    uint32_t spec[5] = {local, op, vec, 1, 0};
    hb_pipeline *pl = hb_pipeline_get(ctx, "upsample", vec == 4 ? "rW" : "rw", spec, 5);
    upsample_push pc = {n / vec, x.off, y.off / vec, (uint32_t)H, (uint32_t)W, 0, 0};
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
