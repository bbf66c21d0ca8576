/* Bilinear resize to any size (half-pixel centres): shaders/resize.comp; reference:
 * src/ref/ref_upsample.c (ref_resize_bilinear); test: tests/test_resize.c. */
#include "ops/op_common.h"

void hb_resize_bilinear(hb_cmd *cmd, hb_tensor y, hb_tensor x, int N, int C, int H, int W, int Ho,
                        int Wo) {
    const char *op = "resize_bilinear";
    if (H < 1 || W < 1 || Ho < 1 || Wo < 1)
        hb_die(1, "%s: sizes must be positive (%dx%d -> %dx%d)", op, H, W, Ho, Wo);
    hb_require(op, "x", x, (uint64_t)N * C * H * W);
    hb_require(op, "y", y, (uint64_t)N * C * Ho * Wo);
    uint64_t total = (uint64_t)N * C * Ho * Wo;
    if (total > UINT32_MAX) hb_die(1, "%s: shape too large", op);
    hb_ctx *ctx = hb_cmd_ctx(cmd);
    uint32_t local = hb_ctx_tuning(ctx)->local_size;
    hb_pipeline *pl = hb_pipeline_get(ctx, "resize", "rw", &local, 1);
    struct {
        uint32_t total, H, W, Ho, Wo, x_off, y_off;
        float scale_h, scale_w;
    } pc = {(uint32_t)total, (uint32_t)H, (uint32_t)W,          (uint32_t)Ho,        (uint32_t)Wo,
            x.off,           y.off,       (float)H / (float)Ho, (float)W / (float)Wo};
    hb_tensor t[2] = {x, y};
    hb_dispatch_1d(cmd, op, pl, t, &pc, sizeof pc, total, local);
}
