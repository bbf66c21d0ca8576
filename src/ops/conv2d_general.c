/* Convolution of any kernel size, stride and padding, forward only, into a channel range of its
 * output: shaders/conv2d_general.comp (the direct kernel); reference: ref_conv2d_general in
 * src/ref/ref_conv2d.c; test: tests/test_conv2d_general.c. It serves networks that are only
 * evaluated (the FID Inception network), so none of the training kernels' fusions. */
#include "ops/conv2d_general.h"

#include "ops/op_common.h"

#define GENERAL_TC 16u /* output channels and pixels per invocation (the shader's TC, TX) */
#define GENERAL_TX 4u

typedef struct {
    int kh, kw, stride, pad_h, pad_w;
} geometry;

static geometry geometry_of(const hb_conv2d_desc *d) {
    if (d->kh <= 0) return (geometry){d->k, d->k, 1, d->k / 2, d->k / 2};
    return (geometry){d->kh, d->kw, d->stride > 0 ? d->stride : 1, d->pad_h, d->pad_w};
}

static void out_size(const hb_conv2d_desc *d, int *Ho, int *Wo) {
    geometry g = geometry_of(d);
    *Ho = hb_window_out(d->H, g.kh, g.stride, g.pad_h);
    *Wo = hb_window_out(d->W, g.kw, g.stride, g.pad_w);
}

int hb_conv2d_is_general(const hb_conv2d_desc *d) { return d->kh > 0 || d->out_c_total > 0; }

int hb_conv2d_general_supports(const hb_conv2d_desc *d, hb_conv2d_pass pass) {
    geometry g = geometry_of(d);
    int Ho, Wo;
    out_size(d, &Ho, &Wo);
    int fusions = d->relu_in || d->stem.x.buf || d->shortcut_w.buf || d->pool || d->residual.buf ||
                  d->relu_mask.buf || d->accumulate;
    int channels =
        d->out_c_total <= 0 || (d->out_c_off >= 0 && d->out_c_off + d->cout <= d->out_c_total);
    /* kernel sizes are unrolled in the shader: up to 11 a side keeps it small */
    return pass == HB_CONV2D_FORWARD && !fusions && channels && g.kh >= 1 && g.kh <= 11 &&
           g.kw >= 1 && g.kw <= 11 && g.pad_h >= 0 && g.pad_w >= 0 && g.pad_h < g.kh &&
           g.pad_w < g.kw && Ho >= 1 && Wo >= 1 && d->cin >= 1 && d->cout >= 1;
}

/* Floats of the prepared weights: TC output channels per tap, whole blocks */
static size_t prepared_floats(const hb_conv2d_desc *d) {
    geometry g = geometry_of(d);
    size_t coblocks = ((size_t)d->cout + GENERAL_TC - 1) / GENERAL_TC;
    return coblocks * GENERAL_TC * d->cin * g.kh * g.kw;
}

void hb_conv2d_general_prepare(hb_cmd *cmd, const hb_conv2d_desc *d, hb_tensor w,
                               hb_tensor *prepared) {
    const char *op = "conv2d_forward/prepare";
    hb_ctx *ctx = hb_cmd_ctx(cmd);
    geometry g = geometry_of(d);
    size_t n = prepared_floats(d);
    hb_require(op, "weight", w, (uint64_t)d->cout * d->cin * g.kh * g.kw);
    if (!prepared->buf) *prepared = hb_alloc(ctx, n);
    hb_require(op, "prepared weights", *prepared, n);
    uint32_t local = hb_ctx_tuning(ctx)->local_size;
    hb_pipeline *pl = hb_pipeline_get(ctx, "conv2d_general_weights", "rw", &local, 1);
    struct {
        uint32_t total, cout, cin_taps, w_off, p_off;
    } pc = {(uint32_t)n, (uint32_t)d->cout, (uint32_t)(d->cin * g.kh * g.kw), w.off, prepared->off};
    hb_tensor t[2] = {w, *prepared};
    hb_dispatch_1d(cmd, op, pl, t, &pc, sizeof pc, n, local);
}

void hb_conv2d_general_forward(hb_cmd *cmd, const hb_conv2d_desc *d, hb_tensor out, hb_tensor in,
                               hb_tensor w, hb_tensor b, hb_tensor prepared) {
    const char *op = "conv2d_forward";
    hb_ctx *ctx = hb_cmd_ctx(cmd);
    geometry g = geometry_of(d);
    int Ho, Wo;
    out_size(d, &Ho, &Wo);
    uint32_t c_total = (uint32_t)(d->out_c_total > 0 ? d->out_c_total : d->cout);
    uint32_t c_off = d->out_c_total > 0 ? (uint32_t)d->out_c_off : 0;
    hb_require(op, "input", in, (uint64_t)d->N * d->cin * d->H * d->W);
    hb_require(op, "output", out, (uint64_t)d->N * c_total * Ho * Wo);
    hb_require(op, "weight", w, (uint64_t)d->cout * d->cin * g.kh * g.kw);
    if (b.buf) hb_require(op, "bias", b, (uint64_t)d->cout);
    hb_require_loop_budget(ctx, op, (uint64_t)d->cin);
    uint32_t local = hb_ctx_tuning(ctx)->local_size;
    /* the prepared weights are read as vec4s */
    int prep = prepared.buf && prepared.off % 4 == 0;
    if (prep) hb_require(op, "prepared weights", prepared, prepared_floats(d));
    uint32_t spec[7] = {local,         (uint32_t)g.kh, (uint32_t)g.kw, (uint32_t)g.stride,
                        b.buf != NULL, d->relu != 0,   (uint32_t)prep};
    hb_pipeline *pl = hb_pipeline_get(ctx, "conv2d_general", prep ? "rRrw" : "rrrw", spec, 7);
    uint32_t xblocks = ((uint32_t)Wo + GENERAL_TX - 1) / GENERAL_TX;
    uint32_t coblocks = ((uint32_t)d->cout + GENERAL_TC - 1) / GENERAL_TC;
    uint64_t total = (uint64_t)d->N * coblocks * Ho * xblocks;
    if (total > UINT32_MAX) hb_die(1, "%s: shape too large", op);
    struct {
        uint32_t total, cin, cout, H, W, Ho, Wo, pad_h, pad_w, xblocks, coblocks;
        uint32_t in_off, w_off, b_off, y_off, c_off, c_total;
    } pc = {(uint32_t)total,
            (uint32_t)d->cin,
            (uint32_t)d->cout,
            (uint32_t)d->H,
            (uint32_t)d->W,
            (uint32_t)Ho,
            (uint32_t)Wo,
            (uint32_t)g.pad_h,
            (uint32_t)g.pad_w,
            xblocks,
            coblocks,
            in.off,
            prep ? prepared.off : w.off,
            b.buf ? b.off : 0,
            out.off,
            c_off,
            c_total};
    hb_tensor t[4] = {in, prep ? prepared : w, hb_or(b, w), out};
    hb_dispatch_1d(cmd, op, pl, t, &pc, sizeof pc, total, local);
}
