/* K x K max and average pooling with stride and padding, forward only: shaders/pool2d.comp;
 * reference: src/ref/ref_pool.c (ref_pool2d); test: tests/test_pool2d.c. */
#include "ops/op_common.h"


void hb_pool2d(hb_cmd *cmd, const hb_pool2d_desc *d, hb_tensor y, hb_tensor x) {
    const char *op = d->max ? "maxpool2d" : "avgpool2d";
    int Ho = hb_window_out(d->H, d->k, d->stride, d->pad),
        Wo = hb_window_out(d->W, d->k, d->stride, d->pad);
    int c_total = d->out_c_total > 0 ? d->out_c_total : d->C;
    int c_off = d->out_c_total > 0 ? d->out_c_off : 0;
    /* a window never lies wholly in the padding, so every output has a tap in the image */
    if (d->k < 1 || d->k > 11 || d->pad < 0 || d->pad >= d->k || Ho < 1 || Wo < 1 || c_off < 0 ||
        c_off + d->C > c_total)
        hb_die(1,
               "%s: unsupported geometry k=%d stride=%d pad=%d on %dx%d, channels %d at %d of %d",
               op, d->k, d->stride, d->pad, d->H, d->W, d->C, c_off, c_total);
    hb_require(op, "x", x, (uint64_t)d->N * d->C * d->H * d->W);
    hb_require(op, "y", y, (uint64_t)d->N * c_total * Ho * Wo);
    uint64_t rows = (uint64_t)d->N * d->C * Ho; /* one invocation per output row */
    if (rows > UINT32_MAX) hb_die(1, "%s: shape too large", op);
    hb_ctx *ctx = hb_cmd_ctx(cmd);
    hb_require_loop_budget(ctx, op, (uint64_t)Wo);
    uint32_t local = hb_ctx_tuning(ctx)->local_size;
    uint32_t spec[4] = {local, (uint32_t)d->k, d->max != 0,
                        (uint32_t)(d->stride > 0 ? d->stride : 1)};
    hb_pipeline *pl = hb_pipeline_get(ctx, "pool2d", "rw", spec, 4);
    struct {
        uint32_t total, C, H, W, Ho, Wo, pad, x_off, y_off, c_off, c_total;
    } pc = {(uint32_t)rows, (uint32_t)d->C,  (uint32_t)d->H,   (uint32_t)d->W,
            (uint32_t)Ho,   (uint32_t)Wo,    (uint32_t)d->pad, x.off,
            y.off,          (uint32_t)c_off, (uint32_t)c_total};
    hb_tensor t[2] = {x, y};
    hb_dispatch_1d(cmd, op, pl, t, &pc, sizeof pc, rows, local);
}
