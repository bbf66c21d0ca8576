/* hatebm selfcheck: every op once, on small SN-GAN-like shapes, against its CPU reference.
 * A quick proof that this device runs the kernels correctly (the test suite goes further). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "ref/ref.h"

typedef struct {
    hb_ctx *ctx;
    hb_cmd *cmd;
    uint64_t rng;
    int failed;
} checker;

static float *random_floats(checker *c, size_t n, float lo, float hi) {
    float *x = malloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++) {
        c->rng = c->rng * 6364136223846793005ull + 1442695040888963407ull;
        x[i] = lo + (hi - lo) * (float)((c->rng >> 40) * 0x1p-24);
    }
    return x;
}

static double *widen(const float *x, size_t n) {
    double *d = malloc(n * sizeof *d);
    for (size_t i = 0; i < n; i++) d[i] = x[i];
    return d;
}

static hb_tensor upload(checker *c, const float *x, size_t n) {
    hb_tensor t = hb_alloc(c->ctx, n);
    hb_upload(c->ctx, t, x);
    return t;
}

static void begin(checker *c) { hb_cmd_begin(c->cmd); }

/* Runs what was recorded since begin() and compares t with want. */
static void expect(checker *c, const char *name, hb_tensor t, const double *want, double tol) {
    hb_cmd_end(c->cmd);
    hb_cmd_run(c->cmd);
    float *got = malloc(t.n * sizeof *got);
    hb_download(c->ctx, t, got);
    double err = 0, scale = 1e-30;
    for (uint32_t i = 0; i < t.n; i++) {
        err = fmax(err, fabs(got[i] - want[i]));
        scale = fmax(scale, fabs(want[i]));
    }
    int ok = err / scale <= tol && isfinite(err);
    printf("  %-28s max rel err %.1e  %s\n", name, err / scale, ok ? "ok" : "FAIL");
    c->failed += !ok;
    free(got);
}

static void check_conv(checker *c) {
    const int N = 2, ci = 5, co = 8, H = 8, W = 8, k = 3, HW = H * W;
    size_t nin = (size_t)N * ci * HW, nout = (size_t)N * co * HW, nw = (size_t)co * ci * k * k;
    float *x = random_floats(c, nin, -1, 1), *w = random_floats(c, nw, -0.3f, 0.3f),
          *b = random_floats(c, co, -1, 1), *g = random_floats(c, nout, -1, 1);
    double *xd = widen(x, nin), *wd = widen(w, nw), *bd = widen(b, co), *gd = widen(g, nout);
    double *want = malloc(nout * 8), *wantin = malloc(nin * 8), *wantw = malloc(nw * 8),
           *wantb = malloc(co * 8);
    hb_tensor X = upload(c, x, nin), Wt = upload(c, w, nw), B = upload(c, b, co),
              G = upload(c, g, nout), Y = hb_alloc(c->ctx, nout), GX = hb_alloc(c->ctx, nin),
              GW = hb_alloc(c->ctx, nw), GB = hb_alloc(c->ctx, co);
    hb_conv2d_desc d = {.N = N, .cin = ci, .cout = co, .H = H, .W = W, .k = k};
    hb_tensor WS = hb_alloc(c->ctx, hb_conv2d_workspace(c->ctx, &d,
                                                        HB_CONV2D_ALL_PASSES) +
                                        1);
    begin(c);
    hb_conv2d_forward(c->cmd, &d, Y, X, Wt, B, HB_NONE, WS);
    ref_conv2d_forward(want, xd, wd, bd, N, ci, co, H, W, k);
    expect(c, "conv2d forward 3x3", Y, want, 1e-5);
    begin(c);
    hb_conv2d_backward_data(c->cmd, &d, GX, G, Wt, HB_NONE, WS);
    ref_conv2d_backward_data(wantin, gd, wd, N, ci, co, H, W, k);
    expect(c, "conv2d backward data", GX, wantin, 1e-5);
    begin(c);
    hb_conv2d_backward_weight(c->cmd, &d, GW, GB, X, G, WS);
    ref_conv2d_backward_weight(wantw, wantb, xd, gd, N, ci, co, H, W, k);
    expect(c, "conv2d backward weight", GW, wantw, 1e-5);
    begin(c);
    expect(c, "conv2d backward bias", GB, wantb, 1e-5);

    /* linear: x [N][ci*HW] -> y [N][co] */
    const int in = ci * HW;
    float *lw = random_floats(c, (size_t)co * in, -0.1f, 0.1f);
    double *lwd = widen(lw, (size_t)co * in), *ly = malloc((size_t)N * co * 8);
    hb_tensor LW = upload(c, lw, (size_t)co * in), LY = hb_alloc(c->ctx, (size_t)N * co);
    begin(c);
    hb_linear_forward(c->cmd, LY, X, LW, B, N, in, co);
    ref_linear_forward(ly, xd, lwd, bd, N, in, co);
    expect(c, "linear forward", LY, ly, 1e-5);
    free(x), free(w), free(b), free(g), free(xd), free(wd), free(bd), free(gd), free(want);
    free(wantin), free(wantw), free(wantb), free(lw), free(lwd), free(ly);
}

static void check_pool_upsample(checker *c) {
    const int N = 2, C = 3, H = 6, W = 6;
    size_t n = (size_t)N * C * H * W;
    float *x = random_floats(c, n, -1, 1);
    double *xd = widen(x, n), *want = malloc(4 * n * 8);
    hb_tensor X = upload(c, x, n), Y = hb_alloc(c->ctx, 4 * n), P = hb_alloc(c->ctx, n / 4),
              GP = hb_alloc(c->ctx, (size_t)N * C);
    begin(c);
    hb_avgpool2(c->cmd, P, X, N, C, H, W);
    ref_avgpool2(want, xd, N, C, H, W);
    expect(c, "avgpool2", P, want, 1e-6);
    begin(c);
    hb_global_avgpool(c->cmd, GP, X, N, C, H * W);
    ref_global_avgpool(want, xd, N, C, H * W);
    expect(c, "global avgpool", GP, want, 1e-6);
    begin(c);
    hb_upsample2_bilinear(c->cmd, Y, X, N, C, H, W);
    ref_upsample2_bilinear(want, xd, N, C, H, W);
    expect(c, "upsample2 bilinear", Y, want, 1e-6);
    begin(c);
    hb_upsample2_nearest(c->cmd, Y, X, N, C, H, W);
    ref_upsample2_nearest(want, xd, N, C, H, W);
    expect(c, "upsample2 nearest", Y, want, 0);
    free(x), free(xd), free(want);
}

/* The FID Inception network's ops: a strided valid conv and a padded 1x3 one (prepared
 * weights), its pools, the resize to 299 */
static void check_inception_ops(checker *c) {
    const int N = 2, C = 3, H = 9, W = 9, co = 16;
    size_t n = (size_t)N * C * H * W, nw = (size_t)co * C * 9;
    float *x = random_floats(c, n, -1, 1), *w = random_floats(c, nw, -0.3f, 0.3f);
    double *xd = widen(x, n), *wd = widen(w, nw), *want = malloc((size_t)N * 299 * 299 * C * 8);
    hb_tensor X = upload(c, x, n), Wt = upload(c, w, nw), prep = HB_NONE,
              Y = hb_alloc(c->ctx, (size_t)N * 299 * 299 * C);
    hb_conv2d_desc d = {.N = N, .cin = C, .cout = co, .H = H, .W = W, .kh = 3, .kw = 3,
                        .stride = 2};
    for (int k13 = 0; k13 <= 1; k13++) {
        if (k13) d.kh = 1, d.kw = 3, d.stride = 1, d.pad_w = 1; /* w read as [co][C][1][3] */
        begin(c);
        hb_conv2d_prepare(c->cmd, &d, HB_CONV2D_FORWARD, Wt, &prep);
        hb_conv2d_forward(c->cmd, &d, Y, X, Wt, HB_NONE, prep, HB_NONE);
        ref_conv2d_general(want, xd, wd, NULL, N, C, co, H, W, d.kh, d.kw, d.stride, 0, d.pad_w);
        int Ho = hb_window_out(H, d.kh, d.stride, d.pad_h),
            Wo = hb_window_out(W, d.kw, d.stride, d.pad_w);
        expect(c, k13 ? "conv2d 1x3 (general)" : "conv2d 3x3 stride 2",
               hb_slice(Y, 0, (uint32_t)(N * co * Ho * Wo)), want, 1e-5);
        hb_free(c->ctx, prep), prep = HB_NONE;
    }
    for (int max = 0; max <= 1; max++) {
        hb_pool2d_desc p = {N, C, H, W, max, 3, max ? 2 : 1, max ? 0 : 1, 0, 0};
        int Ho = hb_window_out(H, p.k, p.stride, p.pad), Wo = hb_window_out(W, p.k, p.stride, p.pad);
        begin(c);
        hb_pool2d(c->cmd, &p, Y, X);
        ref_pool2d(want, xd, N, C, H, W, max, 3, p.stride, p.pad);
        expect(c, max ? "maxpool 3x3 stride 2" : "avgpool 3x3 (no padding)",
               hb_slice(Y, 0, (uint32_t)(N * C * Ho * Wo)), want, 1e-6);
    }
    begin(c);
    hb_resize_bilinear(c->cmd, Y, X, N, C, H, W, 299, 299);
    ref_resize_bilinear(want, xd, N, C, H, W, 299, 299);
    expect(c, "resize bilinear to 299", Y, want, 1e-5);
    free(x), free(w), free(xd), free(wd), free(want);
}

static void check_elementwise_and_reductions(checker *c) {
    const size_t n = 1000;
    float *x = random_floats(c, n, -3, 3), *b = random_floats(c, n, -1, 1);
    double *xd = widen(x, n), *bd = widen(b, n), *want = malloc(n * 8), one[1];
    hb_tensor X = upload(c, x, n), B = upload(c, b, n), Y = hb_alloc(c->ctx, n),
              S = hb_alloc(c->ctx, 1);
    begin(c);
    hb_relu(c->cmd, Y, X);
    ref_relu(want, xd, n);
    expect(c, "relu", Y, want, 0);
    begin(c);
    hb_tanh(c->cmd, Y, X, 2.0f);
    ref_tanh(want, xd, 2.0, n);
    expect(c, "tanh", Y, want, 1e-6);
    begin(c);
    hb_reduce_sumsq(c->cmd, S, X, 1.0f);
    one[0] = ref_sumsq(xd, n);
    expect(c, "sum of squares", S, one, 1e-6);
    begin(c);
    hb_mse(c->cmd, S, Y, X, B, 1000.0f);
    one[0] = ref_mse(want, xd, bd, n, 1000.0);
    expect(c, "mse loss", S, one, 1e-6);
    free(x), free(b), free(xd), free(bd), free(want);
}

static void check_sampling_and_adam(checker *c) {
    const int N = 4, D = 300;
    size_t n = (size_t)N * D;
    float *x = random_floats(c, n, -1, 1), *g = random_floats(c, n, -1e6f, 1e6f),
          *noise = malloc(n * 4), zero = 0;
    double *xd = widen(x, n), *gd = widen(g, n);
    hb_tensor X = upload(c, x, n), G = upload(c, g, n), SCR = hb_alloc(c->ctx, N),
              CTR = upload(c, &zero, 1), R = hb_alloc(c->ctx, n);
    begin(c);
    hb_randn(c->cmd, R, CTR, 42, 7);
    ref_randn(noise, n, 42, 7, 0);
    double *nd = widen(noise, n);
    expect(c, "randn (Philox)", R, nd, 1e-4);
    hb_langevin_cfg lc = {.eps = 5e-4f, .grad_scale = 1.0f, .max_norm = 2.5f, .tau = 0.1f,
                          .seed = 42, .stream = 7};
    begin(c);
    hb_langevin_step(c->cmd, X, G, SCR, CTR, N, D, &lc);
    ref_langevin_step(xd, gd, noise, N, D, lc.eps, lc.grad_scale, lc.max_norm, lc.tau);
    expect(c, "langevin step (clipped)", X, xd, 1e-5);

    hb_adam_cfg ac = {.beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f, .ema_decay = 0.99f};
    float hyper[4];
    hb_adam_hyper(hyper, &ac, 1e-3f, 1);
    float *p = random_floats(c, n, -1, 1), *pg = random_floats(c, n, -1, 1);
    double *pd = widen(p, n), *pgd = widen(pg, n), *m = calloc(n, 8), *v = calloc(n, 8),
           *ema = widen(p, n);
    hb_tensor P = upload(c, p, n), PG = upload(c, pg, n), M = hb_alloc(c->ctx, n),
              V = hb_alloc(c->ctx, n), E = upload(c, p, n), HY = upload(c, hyper, 4);
    begin(c);
    hb_adam(c->cmd, P, PG, M, V, E, HY, HB_NONE, &ac);
    ref_adam(pd, pgd, m, v, ema, n, 1e-3, 1, 0.9, 0.999, 1e-8, 0.99, 0);
    expect(c, "adam step", P, pd, 1e-6);
    begin(c);
    expect(c, "adam weight EMA", E, ema, 1e-6);
    free(x), free(g), free(noise), free(xd), free(gd), free(nd), free(p), free(pg), free(pd);
    free(pgd), free(m), free(v), free(ema);
}

int cli_selfcheck(const char *device) {
    hb_ctx_opts o = {.device = device, .validate = -1};
    checker c = {.ctx = hb_ctx_create(&o), .rng = 12345};
    c.cmd = hb_cmd_create(c.ctx);
    printf("selfcheck on %s: each op against its CPU reference\n", hb_ctx_device_name(c.ctx));
    check_conv(&c);
    check_pool_upsample(&c);
    check_inception_ops(&c);
    check_elementwise_and_reductions(&c);
    check_sampling_and_adam(&c);
    hb_cmd_destroy(c.cmd);
    uint32_t msgs = hb_validation_messages(c.ctx);
    hb_ctx_destroy(c.ctx);
    if (msgs) fprintf(stderr, "hatebm: selfcheck: %u validation message(s)\n", msgs);
    int bad = c.failed || msgs;
    printf("selfcheck: %s\n", bad ? "FAILED" : "all ops match their references");
    return bad ? 1 : 0;
}
