/* The general-geometry convolution (hb_conv2d_desc kh/kw/stride/pad and a channel range of the
 * output), with and without prepared weights, vs ref_conv2d_general: the Inception network's
 * kernels (1x1, 3x3, 1x3, 3x1, 1x7, 7x1, 5x5, stride 1 and 2, valid and padded), bias and relu,
 * channel counts that leave partial tiles; channels outside the range must keep what they held. */
#include <stdio.h>
#include <stdlib.h>

#include "ref/ref.h"
#include "testutil.h"

typedef struct {
    int N, cin, cout, H, W, kh, kw, stride, pad_h, pad_w, bias, relu, c_off, c_total;
} gshape;

static void check(hb_ctx *ctx, uint64_t *rng, const gshape *s) {
    hb_conv2d_desc d = {.N = s->N, .cin = s->cin, .cout = s->cout, .H = s->H, .W = s->W,
                        .kh = s->kh, .kw = s->kw, .stride = s->stride, .pad_h = s->pad_h,
                        .pad_w = s->pad_w, .relu = s->relu, .out_c_off = s->c_off,
                        .out_c_total = s->c_total};
    int Ho = hb_window_out(d.H, d.kh, d.stride, d.pad_h),
        Wo = hb_window_out(d.W, d.kw, d.stride, d.pad_w);
    int c_total = s->c_total ? s->c_total : s->cout;
    size_t nin = (size_t)s->N * s->cin * s->H * s->W, nw = (size_t)s->cout * s->cin * s->kh * s->kw;
    size_t nref = (size_t)s->N * s->cout * Ho * Wo, nout = (size_t)s->N * c_total * Ho * Wo;
    float *x = malloc(nin * 4), *w = malloc(nw * 4), *b = malloc((size_t)s->cout * 4);
    float *old = malloc(nout * 4);
    tu_rand(rng, x, nin, -1, 1);
    tu_rand(rng, w, nw, -0.5f, 0.5f);
    tu_rand(rng, b, (size_t)s->cout, -0.5f, 0.5f);
    tu_rand(rng, old, nout, 5, 6); /* outside the range the conv could produce here */
    double *xd = tu_to_double(x, nin), *wd = tu_to_double(w, nw),
           *bd = tu_to_double(b, (size_t)s->cout);
    double *ref = malloc(nref * 8), *want = malloc(nout * 8);
    ref_conv2d_general(ref, xd, wd, s->bias ? bd : NULL, s->N, s->cin, s->cout, s->H, s->W, s->kh,
                       s->kw, s->stride, s->pad_h, s->pad_w);
    for (size_t i = 0; i < nout; i++) want[i] = old[i];
    for (int n = 0; n < s->N; n++)
        for (int c = 0; c < s->cout; c++)
            for (int p = 0; p < Ho * Wo; p++) {
                double v = ref[((size_t)n * s->cout + c) * Ho * Wo + p];
                want[((size_t)n * c_total + s->c_off + c) * Ho * Wo + p] = s->relu && v < 0 ? 0 : v;
            }
    hb_tensor X = tu_upload(ctx, x, nin), Wt = tu_upload(ctx, w, nw);
    hb_tensor B = s->bias ? tu_upload(ctx, b, (size_t)s->cout) : HB_NONE;
    hb_tensor Y = tu_upload(ctx, old, nout);
    char what[200];
    snprintf(what, sizeof what,
             "conv2d general N%d %d->%d %dx%d k%dx%d s%d p%d,%d bias%d relu%d c%d/%d", s->N, s->cin,
             s->cout, s->H, s->W, s->kh, s->kw, s->stride, s->pad_h, s->pad_w, s->bias, s->relu,
             s->c_off, c_total);
    tu_check(hb_conv2d_supports(&d, HB_CONV2D_FORWARD) &&
                 !hb_conv2d_supports(&d, HB_CONV2D_BACKWARD_DATA) &&
                 !hb_conv2d_supports(&d, HB_CONV2D_BACKWARD_WEIGHT),
             "%s: forward only", what);
    /* with the weights as given, then as hb_conv2d_prepare rearranges them */
    hb_tensor prepared = HB_NONE;
    TU_RUN(ctx, cmd, hb_conv2d_prepare(cmd, &d, HB_CONV2D_FORWARD, Wt, &prepared));
    for (int prep = 0; prep <= 1; prep++) {
        hb_upload(ctx, Y, old);
        TU_RUN(ctx, cmd,
               hb_conv2d_forward(cmd, &d, Y, X, Wt, B, prep ? prepared : HB_NONE, HB_NONE));
        float *got = tu_download(ctx, Y);
        char label[240];
        snprintf(label, sizeof label, "%s%s", what, prep ? " prepared" : "");
        tu_close(label, got, want, nout, 1e-5, 1e-5);
        free(got);
    }
    hb_free(ctx, prepared);
    hb_free(ctx, X), hb_free(ctx, Wt), hb_free(ctx, Y);
    if (s->bias) hb_free(ctx, B);
    free(x), free(w), free(b), free(old), free(xd), free(wd), free(bd), free(ref), free(want);
}

int main(void) {
    hb_ctx *ctx = tu_ctx();
    uint64_t rng = 11;
    const gshape shapes[] = {
        /* N cin cout H W kh kw s ph pw bias relu c_off c_total */
        {2, 3, 32, 19, 19, 3, 3, 2, 0, 0, 1, 1, 0, 0},   /* Conv2d_1a: stride 2, valid */
        {1, 5, 17, 9, 11, 3, 3, 1, 0, 0, 1, 0, 0, 0},    /* valid 3x3, partial tiles */
        {2, 6, 20, 8, 7, 3, 3, 1, 1, 1, 1, 1, 3, 40},    /* padded 3x3 into a channel range */
        {1, 7, 16, 9, 9, 5, 5, 1, 2, 2, 1, 1, 16, 48},   /* 5x5 */
        {2, 8, 16, 7, 9, 1, 7, 1, 0, 3, 1, 1, 0, 32},    /* 1x7 */
        {1, 8, 17, 9, 7, 7, 1, 1, 3, 0, 1, 1, 15, 32},   /* 7x1 */
        {2, 9, 24, 5, 6, 1, 3, 1, 0, 1, 0, 0, 0, 0},     /* 1x3 */
        {1, 9, 24, 6, 5, 3, 1, 1, 1, 0, 1, 0, 24, 48},   /* 3x1 */
        {2, 33, 48, 8, 8, 1, 1, 1, 0, 0, 1, 1, 16, 64},  /* 1x1 */
        {1, 12, 20, 17, 17, 3, 3, 2, 0, 0, 1, 1, 4, 44}, /* 17 -> 8, stride 2 (Mixed_7a) */
        {1, 4, 16, 6, 6, 2, 3, 2, 1, 1, 1, 0, 0, 0},     /* uneven kernel, stride 2, padded */
    };
    for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++) check(ctx, &rng, &shapes[i]);
    /* geometries it refuses: backward passes, padding as wide as the kernel, a channel range
     * past the output */
    hb_conv2d_desc bad = {
        .N = 1, .cin = 1, .cout = 4, .H = 4, .W = 4, .kh = 3, .kw = 3, .pad_h = 3, .pad_w = 1};
    tu_check(!hb_conv2d_supports(&bad, HB_CONV2D_FORWARD), "padding >= kernel refused");
    bad.pad_h = 1, bad.out_c_off = 2, bad.out_c_total = 5;
    tu_check(!hb_conv2d_supports(&bad, HB_CONV2D_FORWARD), "channel range past the output refused");
    bad.out_c_off = 1, bad.pool = 1;
    tu_check(!hb_conv2d_supports(&bad, HB_CONV2D_FORWARD), "fusions refused");
    return tu_finish(ctx);
}
