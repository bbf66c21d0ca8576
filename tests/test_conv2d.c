/* Convolution forward, backward data and backward weight vs src/ref/ref_conv2d.c, float and
 * vec4 paths, with finite differences of the reference forward for every backward pass; the
 * variants with 2x2 average pooling fused in vs the reference conv and pool composed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ref/ref.h"
#include "testutil.h"

typedef struct {
    int N, cin, cout, H, W, k, bias;
    uint32_t shift; /* > 0 offsets every tensor so the float (not vec4) path runs */
    int fd;         /* finite-difference checks (small shapes only: each costs a forward) */
    int chunk1;     /* Winograd workspace for one image: chunks of one image */
} shape;

/* L = sum(out * r) as a function of one of in, w, b (which = 0, 1, 2) */
typedef struct {
    const shape *s;
    int which;
    double *in, *w, *b, *r, *out;
} loss_ctx;

static double loss(void *u, const double *v) {
    loss_ctx *c = u;
    const shape *s = c->s;
    ref_conv2d_forward(c->out, c->which == 0 ? v : c->in, c->which == 1 ? v : c->w,
                       c->which == 2 ? v : c->b, s->N, s->cin, s->cout, s->H, s->W, s->k);
    double l = 0;
    for (size_t i = 0; i < (size_t)s->N * s->cout * s->H * s->W; i++) l += c->out[i] * c->r[i];
    return l;
}

static hb_tensor alloc_shifted(hb_ctx *ctx, size_t n, uint32_t shift) {
    return hb_slice(hb_alloc(ctx, n + shift), shift, (uint32_t)n);
}
/* hb_free needs the allocation itself, not the shifted slice */
static void free_shifted(hb_ctx *ctx, hb_tensor t, uint32_t shift) {
    t.off -= shift;
    t.n += shift;
    hb_free(ctx, t);
}

/* A test's random data in [-1, 1): input, weights, bias, output gradient (ngout floats) and a
 * previous input gradient (accumulation), with double copies of the first four. */
typedef struct {
    float *in, *w, *b, *gout, *prev;
    double *ind, *wd, *bd, *goutd;
} conv_data;

static conv_data conv_data_new(uint64_t *rng, size_t nin, size_t nw, int cout, size_t ngout) {
    conv_data d = {malloc(nin * 4), malloc(nw * 4), malloc(cout * 4), malloc(ngout * 4),
                   malloc(nin * 4), NULL, NULL, NULL, NULL};
    tu_rand(rng, d.in, nin, -1, 1);
    tu_rand(rng, d.w, nw, -1, 1);
    tu_rand(rng, d.b, cout, -1, 1);
    tu_rand(rng, d.gout, ngout, -1, 1);
    tu_rand(rng, d.prev, nin, -1, 1);
    d.ind = tu_to_double(d.in, nin), d.wd = tu_to_double(d.w, nw);
    d.bd = tu_to_double(d.b, cout), d.goutd = tu_to_double(d.gout, ngout);
    return d;
}

static void conv_data_free(conv_data *d) {
    free(d->in), free(d->w), free(d->b), free(d->gout), free(d->prev);
    free(d->ind), free(d->wd), free(d->bd), free(d->goutd);
}

static void check_shape(hb_ctx *ctx, uint64_t *rng, const shape *s) {
    int N = s->N, cin = s->cin, cout = s->cout, H = s->H, W = s->W, k = s->k;
    size_t nin = (size_t)N * cin * H * W, nout = (size_t)N * cout * H * W;
    size_t nw = (size_t)cout * cin * k * k;
    char tag[128], what[192];
    snprintf(tag, sizeof tag, "N%d cin%d cout%d %dx%d k%d%s shift%u", N, cin, cout, H, W, k,
             s->bias ? " bias" : "", s->shift);
    conv_data d = conv_data_new(rng, nin, nw, cout, nout);
    float *in = d.in, *w = d.w, *b = d.b, *gout = d.gout, *prev = d.prev;
    double *ind = d.ind, *wd = d.wd, *bd = d.bd, *goutd = d.goutd;
    double *want_out = malloc(nout * 8), *want_gin = malloc(nin * 8), *want_gw = malloc(nw * 8),
           *want_gb = malloc(cout * 8), *tmp = malloc(nin * 8), *tmp_out = malloc(nout * 8);

    hb_tensor IN = alloc_shifted(ctx, nin, s->shift), OUT = alloc_shifted(ctx, nout, s->shift);
    hb_tensor GOUT = alloc_shifted(ctx, nout, s->shift), GIN = alloc_shifted(ctx, nin, s->shift);
    hb_tensor Wt = alloc_shifted(ctx, nw, s->shift), B = alloc_shifted(ctx, cout, s->shift);
    hb_tensor GW = alloc_shifted(ctx, nw, s->shift), GB = alloc_shifted(ctx, cout, s->shift);
    const hb_conv2d_desc D = {.N = N, .cin = cin, .cout = cout, .H = H, .W = W, .k = k};
    /* chunk1: a workspace for one image, so Winograd runs image by image */
    hb_conv2d_desc D1 = D;
    D1.N = s->chunk1 ? 1 : N;
    size_t nws = hb_conv2d_workspace(ctx, &D1, HB_CONV2D_FORWARD | HB_CONV2D_BACKWARD_DATA),
           nwg = hb_conv2d_workspace(ctx, &D1, HB_CONV2D_BACKWARD_WEIGHT);
    if (nwg > nws) nws = nwg;
    hb_tensor WS = nws ? hb_alloc(ctx, nws) : HB_NONE;
    hb_upload(ctx, IN, in);
    hb_upload(ctx, Wt, w);
    hb_upload(ctx, B, b);
    hb_upload(ctx, GOUT, gout);
    hb_upload(ctx, GIN, prev); /* overwritten unless accumulating */
    hb_tensor RES = alloc_shifted(ctx, nin, s->shift);
    hb_upload(ctx, RES, prev);
    hb_fill_host(ctx, OUT, NAN);
    hb_fill_host(ctx, GW, NAN);
    hb_fill_host(ctx, GB, NAN);
    /* float error grows with the reduction length */
    double tol_fwd = 4e-6 * sqrt((double)cin * k * k), tol_bwd = 4e-6 * sqrt((double)cout * k * k),
           tol_w = 4e-6 * sqrt((double)N * H * W);

    hb_tensor bias = s->bias ? B : HB_NONE;
    /* Winograd weights prepared beforehand (hb_conv2d_prepare): the ops are then given a w
     * of NaNs, which they must not read */
    hb_tensor PF = HB_NONE, PB = HB_NONE; /* stay HB_NONE where Winograd does not run */
    TU_RUN(ctx, cmd, hb_conv2d_prepare(cmd, &D, HB_CONV2D_FORWARD, Wt, &PF);
           hb_conv2d_prepare(cmd, &D, HB_CONV2D_BACKWARD_DATA, Wt, &PB));
    int prepared = PF.buf && PB.buf;
    hb_tensor WNAN = hb_alloc(ctx, nw);
    hb_fill_host(ctx, WNAN, NAN);
    float *gin = NULL;
    /* with the workspace (Winograd where the shape suits it), with prepared weights, then
     * the direct kernel */
    for (int path = 0; path < 3; path++) {
        if (path == 1 && !(prepared && nws)) continue;
        hb_tensor ws = path < 2 ? WS : HB_NONE, wt = path == 1 ? WNAN : Wt;
        hb_tensor pf = path == 1 ? PF : HB_NONE, pb = path == 1 ? PB : HB_NONE;
        const char *how = path == 0 ? "workspace" : path == 1 ? "prepared" : "direct";
        TU_RUN(ctx, cmd, hb_conv2d_forward(cmd, &D, OUT, IN, wt, bias, pf, ws));
        ref_conv2d_forward(want_out, ind, wd, s->bias ? bd : NULL, N, cin, cout, H, W, k);
        float *got = tu_download(ctx, OUT);
        snprintf(what, sizeof what, "forward %s %s", how, tag);
        tu_close(what, got, want_out, nout, 1e-5, tol_fwd);
        free(got);

        /* a residual added in the epilogue (GOUT's values as the residual) */
        hb_conv2d_desc Dres = D;
        Dres.residual = GOUT;
        TU_RUN(ctx, cmd, hb_conv2d_forward(cmd, &Dres, OUT, IN, wt, bias, pf, ws));
        for (size_t i = 0; i < nout; i++) tmp_out[i] = want_out[i] + gout[i];
        got = tu_download(ctx, OUT);
        snprintf(what, sizeof what, "forward residual %s %s", how, tag);
        tu_close(what, got, tmp_out, nout, 1e-5, tol_fwd);
        free(got);

        /* out of a relu, fused into the Winograd input transform (and into one, the relu
         * fused into the epilogue too) */
        hb_conv2d_desc Drin = D;
        Drin.relu_in = 1;
        if (path < 2 && nws && hb_conv2d_supports(&Drin, HB_CONV2D_FORWARD)) {
            double *rin = malloc(nin * 8);
            ref_relu(rin, ind, nin);
            ref_conv2d_forward(tmp_out, rin, wd, s->bias ? bd : NULL, N, cin, cout, H, W, k);
            for (int relu_out = 0; relu_out < 2; relu_out++) {
                Drin.relu = relu_out;
                TU_RUN(ctx, cmd, hb_conv2d_forward(cmd, &Drin, OUT, IN, wt, bias, pf, ws));
                if (relu_out) ref_relu(tmp_out, tmp_out, nout);
                got = tu_download(ctx, OUT);
                snprintf(what, sizeof what, "forward relu_in%s %s %s", relu_out ? " relu" : "",
                         how, tag);
                tu_close(what, got, tmp_out, nout, 1e-5, tol_fwd);
                free(got);
            }
            free(rin);
        }

        /* into a relu: the relu fused into the epilogue */
        hb_conv2d_desc Drelu = D;
        Drelu.relu = 1;
        TU_RUN(ctx, cmd, hb_conv2d_forward(cmd, &Drelu, OUT, IN, wt, bias, pf, ws));
        double *relu = malloc(nout * sizeof *relu);
        for (size_t i = 0; i < nout; i++) relu[i] = want_out[i] > 0 ? want_out[i] : 0.0;
        got = tu_download(ctx, OUT);
        snprintf(what, sizeof what, "forward relu %s %s", how, tag);
        tu_close(what, got, relu, nout, 1e-5, tol_fwd);
        free(got);
        free(relu);

        hb_upload(ctx, GIN, prev);
        TU_RUN(ctx, cmd, hb_conv2d_backward_data(cmd, &D, GIN, GOUT, wt, pb, ws));
        ref_conv2d_backward_data(want_gin, goutd, wd, N, cin, cout, H, W, k);
        free(gin);
        gin = tu_download(ctx, GIN);
        snprintf(what, sizeof what, "backward_data %s %s", how, tag);
        tu_close(what, gin, want_gin, nin, 1e-5, tol_bwd);

        hb_upload(ctx, GIN, prev);
        hb_conv2d_desc Dacc = D;
        Dacc.accumulate = 1;
        TU_RUN(ctx, cmd, hb_conv2d_backward_data(cmd, &Dacc, GIN, GOUT, wt, pb, ws));
        for (size_t i = 0; i < nin; i++) tmp[i] = want_gin[i] + prev[i];
        got = tu_download(ctx, GIN);
        snprintf(what, sizeof what, "backward_data accumulate %s %s", how, tag);
        tu_close(what, got, tmp, nin, 1e-5, tol_bwd);
        free(got);

        /* through a relu whose input is IN (signed noise): that relu's backward fused in */
        for (int acc = 0; acc < 2; acc++) {
            hb_upload(ctx, GIN, prev);
            hb_conv2d_desc Dmask = D;
            Dmask.relu_mask = IN;
            Dmask.accumulate = acc;
            TU_RUN(ctx, cmd, hb_conv2d_backward_data(cmd, &Dmask, GIN, GOUT, wt, pb, ws));
            for (size_t i = 0; i < nin; i++)
                tmp[i] = (ind[i] > 0 ? want_gin[i] : 0.0f) + (acc ? prev[i] : 0.0f);
            got = tu_download(ctx, GIN);
            snprintf(what, sizeof what, "backward_data relu_mask%s %s %s", acc ? " accumulate" : "",
                     how, tag);
            tu_close(what, got, tmp, nin, 1e-5, tol_bwd);
            free(got);
        }

        /* through that relu, plus a residual (prev's values; GIN's own are overwritten) */
        hb_fill_host(ctx, GIN, NAN);
        hb_conv2d_desc Dmres = D;
        Dmres.relu_mask = IN;
        Dmres.residual = RES;
        TU_RUN(ctx, cmd, hb_conv2d_backward_data(cmd, &Dmres, GIN, GOUT, wt, pb, ws));
        for (size_t i = 0; i < nin; i++) tmp[i] = (ind[i] > 0 ? want_gin[i] : 0.0) + prev[i];
        got = tu_download(ctx, GIN);
        snprintf(what, sizeof what, "backward_data relu_mask residual %s %s", how, tag);
        tu_close(what, got, tmp, nin, 1e-5, tol_bwd);
        free(got);
    }

    hb_tensor gbias = s->bias ? GB : HB_NONE;
    TU_RUN(ctx, cmd, hb_conv2d_backward_weight(cmd, &D, GW, gbias, IN, GOUT, WS));
    ref_conv2d_backward_weight(want_gw, want_gb, ind, goutd, N, cin, cout, H, W, k);
    float *gw = tu_download(ctx, GW), *gb = tu_download(ctx, GB);
    snprintf(what, sizeof what, "backward_weight (workspace %zu) %s", nws, tag);
    tu_close(what, gw, want_gw, nw, 1e-5, tol_w);
    if (s->bias) {
        snprintf(what, sizeof what, "backward_bias %s", tag);
        tu_close(what, gb, want_gb, cout, 1e-5, tol_w);
    }

    if (s->fd) {
        /* the loss is linear in each argument, so central differences are exact up to
         * rounding; the GPU gradients (float) set the tolerance */
        loss_ctx lc = {s, 0, ind, wd, bd, goutd, malloc(nout * 8)};
        double *g = tu_to_double(gin, nin);
        snprintf(what, sizeof what, "backward_data fd %s", tag);
        tu_fd_check(what, loss, &lc, ind, nin, g, 12, 1e-2, 1e-4, 10 * tol_bwd);
        free(g);
        lc.which = 1;
        g = tu_to_double(gw, nw);
        snprintf(what, sizeof what, "backward_weight fd %s", tag);
        tu_fd_check(what, loss, &lc, wd, nw, g, 12, 1e-2, 1e-4, 10 * tol_w);
        free(g);
        if (s->bias) {
            lc.which = 2;
            g = tu_to_double(gb, cout);
            snprintf(what, sizeof what, "backward_bias fd %s", tag);
            tu_fd_check(what, loss, &lc, bd, cout, g, 12, 1e-2, 1e-4, 10 * tol_w);
            free(g);
        }
        free(lc.out);
    }
    free(gin), free(gw), free(gb);
    hb_tensor all[] = {IN, OUT, GOUT, GIN, Wt, B, GW, GB, RES};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) free_shifted(ctx, all[i], s->shift);
    if (nws) hb_free(ctx, WS);
    if (PF.buf) hb_free(ctx, PF);
    if (PB.buf) hb_free(ctx, PB);
    hb_free(ctx, WNAN);
    conv_data_free(&d);
    free(want_out), free(want_gin), free(want_gw), free(want_gb), free(tmp), free(tmp_out);
}

/* L = sum(avgpool2(conv(in)) * r) as a function of in */
typedef struct {
    const shape *s;
    const double *w, *b, *r;
    double *out, *pooled;
} pooled_loss_ctx;

static double pooled_loss(void *u, const double *in) {
    pooled_loss_ctx *c = u;
    const shape *s = c->s;
    ref_conv2d_forward(c->out, in, c->w, c->b, s->N, s->cin, s->cout, s->H, s->W, s->k);
    ref_avgpool2(c->pooled, c->out, s->N, s->cout, s->H, s->W);
    double l = 0;
    for (size_t i = 0; i < (size_t)s->N * s->cout * s->H * s->W / 4; i++) l += c->pooled[i] * c->r[i];
    return l;
}

/* Forward and backward data with 2x2 average pooling fused in (backward data with and without
 * relu mask and accumulation) on a Winograd shape with even H and W. */
static void check_pooled(hb_ctx *ctx, uint64_t *rng, const shape *s) {
    int N = s->N, cin = s->cin, cout = s->cout, H = s->H, W = s->W, k = s->k;
    size_t nin = (size_t)N * cin * H * W, nout = (size_t)N * cout * H * W, np = nout / 4;
    size_t nw = (size_t)cout * cin * k * k;
    char tag[128], what[192];
    snprintf(tag, sizeof tag, "N%d cin%d cout%d %dx%d%s shift%u chunk1 %d", N, cin, cout, H, W,
             s->bias ? " bias" : "", s->shift, s->chunk1);
    const hb_conv2d_desc D = {.N = N, .cin = cin, .cout = cout, .H = H, .W = W, .k = k, .pool = 1};
    tu_check(hb_conv2d_supports(&D, HB_CONV2D_FORWARD) &&
                 hb_conv2d_supports(&D, HB_CONV2D_BACKWARD_DATA),
             "avgpool2 fusion accepts %s", tag);
    conv_data d = conv_data_new(rng, nin, nw, cout, np);
    float *in = d.in, *w = d.w, *b = d.b, *gout = d.gout, *prev = d.prev;
    double *ind = d.ind, *wd = d.wd, *bd = d.bd, *goutd = d.goutd;
    double *full = malloc(nout * 8), *want = malloc(nin * 8), *want_gin = malloc(nin * 8);
    hb_tensor IN = alloc_shifted(ctx, nin, s->shift), OUT = alloc_shifted(ctx, np, s->shift);
    hb_tensor GOUT = alloc_shifted(ctx, np, s->shift), GIN = alloc_shifted(ctx, nin, s->shift);
    hb_tensor Wt = alloc_shifted(ctx, nw, s->shift), B = alloc_shifted(ctx, cout, s->shift);
    hb_conv2d_desc D1 = D;
    D1.N = s->chunk1 ? 1 : N;
    hb_tensor WS = hb_alloc(ctx, hb_conv2d_workspace(ctx, &D1, HB_CONV2D_ALL_PASSES));
    hb_upload(ctx, IN, in);
    hb_upload(ctx, Wt, w);
    hb_upload(ctx, B, b);
    hb_upload(ctx, GOUT, gout);
    hb_fill_host(ctx, OUT, NAN);
    double tol_fwd = 4e-6 * sqrt((double)cin * k * k), tol_bwd = 4e-6 * sqrt((double)cout * k * k);

    /* prepared weights (and a w of NaNs the ops must not read) in the second round */
    hb_tensor PF = HB_NONE, PB = HB_NONE, WNAN = hb_alloc(ctx, nw);
    hb_fill_host(ctx, WNAN, NAN);
    TU_RUN(ctx, cmd, hb_conv2d_prepare(cmd, &D, HB_CONV2D_FORWARD, Wt, &PF);
           hb_conv2d_prepare(cmd, &D, HB_CONV2D_BACKWARD_DATA, Wt, &PB));
    for (int prep = 0; prep < 2; prep++) {
        hb_tensor wt = prep ? WNAN : Wt, pf = prep ? PF : HB_NONE, pb = prep ? PB : HB_NONE;
        const char *how = prep ? " prepared" : "";
        TU_RUN(ctx, cmd, hb_conv2d_forward(cmd, &D, OUT, IN, wt, s->bias ? B : HB_NONE, pf, WS));
        ref_conv2d_forward(full, ind, wd, s->bias ? bd : NULL, N, cin, cout, H, W, k);
        ref_avgpool2(want, full, N, cout, H, W);
        float *got = tu_download(ctx, OUT);
        snprintf(what, sizeof what, "forward_avgpool2%s %s", how, tag);
        tu_close(what, got, want, np, 1e-5, tol_fwd);
        free(got);

        ref_avgpool2_backward(full, goutd, N, cout, H, W);
        ref_conv2d_backward_data(want_gin, full, wd, N, cin, cout, H, W, k);
        for (int variant = 0; variant < 4; variant++) { /* bit 0: accumulate, bit 1: relu mask */
            int acc = variant & 1, masked = variant >> 1;
            hb_upload(ctx, GIN, prev);
            hb_conv2d_desc Db = D;
            Db.relu_mask = masked ? IN : HB_NONE;
            Db.accumulate = acc;
            TU_RUN(ctx, cmd, hb_conv2d_backward_data(cmd, &Db, GIN, GOUT, wt, pb, WS));
            for (size_t i = 0; i < nin; i++)
                want[i] = (!masked || ind[i] > 0 ? want_gin[i] : 0.0) + (acc ? prev[i] : 0.0);
            got = tu_download(ctx, GIN);
            snprintf(what, sizeof what, "backward_data_avgpool2%s%s%s %s",
                     masked ? " relu_mask" : "", acc ? " accumulate" : "", how, tag);
            tu_close(what, got, want, nin, 1e-5, tol_bwd);
            if (variant == 0 && !prep && s->fd) {
                pooled_loss_ctx lc = {s, wd, s->bias ? bd : NULL, goutd, malloc(nout * 8),
                                      malloc(np * 8)};
                double *g = tu_to_double(got, nin);
                snprintf(what, sizeof what, "backward_data_avgpool2 fd %s", tag);
                tu_fd_check(what, pooled_loss, &lc, ind, nin, g, 12, 1e-2, 1e-4, 10 * tol_bwd);
                free(g), free(lc.out), free(lc.pooled);
            }
            free(got);
        }
    }
    hb_tensor all[] = {IN, OUT, GOUT, GIN, Wt, B};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) free_shifted(ctx, all[i], s->shift);
    hb_free(ctx, WS), hb_free(ctx, PF), hb_free(ctx, PB), hb_free(ctx, WNAN);
    conv_data_free(&d);
    free(full), free(want), free(want_gin);
}

/* A stem fused into the next conv (hb_conv2d_desc.stem): that conv's
 * input relu(conv3x3(x, w1) + b1) is computed from x, forward (into a relu, a pooling or
 * neither) and backward data through the stem's relu (its mask recomputed), with and without
 * accumulation, pooling and prepared weights, against the unfused CPU reference. */
/* The pooled stem conv (want, from check_stem) plus the 1x1 shortcut of the stem's pooled x in
 * the epilogue */
static void check_stem_shortcut(hb_ctx *ctx, uint64_t *rng, const hb_conv2d_stem *st,
                                const double *xd, const double *pooled_conv, hb_tensor Wt,
                                hb_tensor PF, hb_tensor B, hb_tensor WS, int N, int C, int cout,
                                int H, int W, const char *tag) {
    int c0 = st->cin;
    size_t ny = (size_t)N * cout * H * W / 4, nxp = (size_t)N * c0 * H * W / 4;
    float *sw = malloc((size_t)cout * c0 * 4), *sb = malloc((size_t)cout * 4);
    tu_rand(rng, sw, (size_t)cout * c0, -1, 1), tu_rand(rng, sb, cout, -0.5, 0.5);
    double *xp = malloc(nxp * 8), *want = malloc(ny * 8);
    ref_avgpool2(xp, xd, N, c0, H, W);
    for (int n = 0; n < N; n++)
        for (int co = 0; co < cout; co++)
            for (int p = 0; p < H * W / 4; p++) {
                size_t o = ((size_t)n * cout + co) * H * W / 4 + p;
                double s = sb[co];
                for (int c = 0; c < c0; c++)
                    s += (double)sw[co * c0 + c] * xp[((size_t)n * c0 + c) * H * W / 4 + p];
                want[o] = pooled_conv[o] + s;
            }
    hb_tensor SW = tu_upload(ctx, sw, (size_t)cout * c0), SB = tu_upload(ctx, sb, cout);
    hb_tensor OUT = hb_alloc(ctx, ny);
    char what[192];
    for (int prep = 0; prep < 2; prep++) {
        hb_fill_host(ctx, OUT, NAN);
        hb_conv2d_desc d = {.N = N, .cin = C, .cout = cout, .H = H, .W = W, .k = 3, .pool = 1,
                            .stem = *st, .shortcut_w = SW, .shortcut_b = SB};
        TU_RUN(ctx, cmd, hb_conv2d_forward(cmd, &d, OUT, HB_NONE, Wt, B, prep ? PF : HB_NONE, WS));
        float *got = tu_download(ctx, OUT);
        snprintf(what, sizeof what, "forward_stem_shortcut%s %s", prep ? " prepared" : "", tag);
        tu_close(what, got, want, ny, 1e-5, 4e-6 * sqrt((double)C * 9));
        free(got);
    }
    hb_free(ctx, SW), hb_free(ctx, SB), hb_free(ctx, OUT);
    free(sw), free(sb), free(xp), free(want);
}

static void check_stem(hb_ctx *ctx, uint64_t *rng, int N, int c0, int C, int cout, int H, int W,
                       int pool, int relu, int chunk1) {
    size_t nx = (size_t)N * c0 * H * W, nh = (size_t)N * C * H * W, nout = (size_t)N * cout * H * W;
    size_t ny = pool ? nout / 4 : nout, nw1 = (size_t)C * c0 * 9, nw = (size_t)cout * C * 9;
    char tag[128], what[192];
    snprintf(tag, sizeof tag, "N%d stem %d->%d, %d->%d %dx%d%s%s%s", N, c0, C, C, cout, H, W,
             pool ? " pool" : "", relu ? " relu" : "", chunk1 ? " chunk1" : "");
    float *x = malloc(nx * 4), *w1 = malloc(nw1 * 4), *b1 = malloc(C * 4), *w = malloc(nw * 4),
          *b = malloc(cout * 4), *gout = malloc(ny * 4), *prev = malloc(nh * 4);
    tu_rand(rng, x, nx, -1, 1), tu_rand(rng, w1, nw1, -0.5, 0.5), tu_rand(rng, b1, C, -0.2, 0.2);
    tu_rand(rng, w, nw, -0.1, 0.1), tu_rand(rng, b, cout, -0.5, 0.5);
    tu_rand(rng, gout, ny, -1, 1), tu_rand(rng, prev, nh, -1, 1);
    double *xd = tu_to_double(x, nx), *w1d = tu_to_double(w1, nw1), *b1d = tu_to_double(b1, C),
           *wd = tu_to_double(w, nw), *bd = tu_to_double(b, cout), *goutd = tu_to_double(gout, ny);
    double *pre = malloc(nh * 8), *h = malloc(nh * 8), *full = malloc(nout * 8),
           *want = malloc((nh > nout ? nh : nout) * 8), *gh = malloc(nh * 8);
    ref_conv2d_forward(pre, xd, w1d, b1d, N, c0, C, H, W, 3);
    ref_relu(h, pre, nh);
    ref_conv2d_forward(full, h, wd, bd, N, C, cout, H, W, 3);
    if (pool) ref_avgpool2(want, full, N, cout, H, W);
    else for (size_t i = 0; i < nout; i++) want[i] = relu && full[i] < 0 ? 0.0 : full[i];

    hb_tensor X = tu_upload(ctx, x, nx), W1 = tu_upload(ctx, w1, nw1), B1 = tu_upload(ctx, b1, C);
    hb_tensor Wt = tu_upload(ctx, w, nw), B = tu_upload(ctx, b, cout), GOUT = tu_upload(ctx, gout, ny);
    hb_tensor OUT = hb_alloc(ctx, ny), GIN = hb_alloc(ctx, nh);
    hb_conv2d_stem st = {X, W1, B1, c0};
    hb_conv2d_desc D = {.N = N, .cin = C, .cout = cout, .H = H, .W = W, .k = 3, .relu = relu,
                        .pool = pool, .stem = st};
    tu_check(hb_conv2d_supports(&D, HB_CONV2D_FORWARD), "stem fusion accepts %s", tag);
    hb_conv2d_desc D1 = D;
    D1.N = chunk1 ? 1 : N;
    hb_tensor WS = hb_alloc(ctx, hb_conv2d_workspace(ctx, &D1, HB_CONV2D_ALL_PASSES));
    hb_tensor PF = HB_NONE, PB = HB_NONE;
    TU_RUN(ctx, cmd, hb_conv2d_prepare(cmd, &D, HB_CONV2D_FORWARD, Wt, &PF);
           hb_conv2d_prepare(cmd, &D, HB_CONV2D_BACKWARD_DATA, Wt, &PB));
    double tol_fwd = 4e-6 * sqrt((double)C * 9), tol_bwd = 4e-6 * sqrt((double)cout * 9);
    for (int prep = 0; prep < 2; prep++) {
        hb_fill_host(ctx, OUT, NAN);
        TU_RUN(ctx, cmd, hb_conv2d_forward(cmd, &D, OUT, HB_NONE, Wt, B, prep ? PF : HB_NONE, WS));
        float *got = tu_download(ctx, OUT);
        snprintf(what, sizeof what, "forward_stem%s %s", prep ? " prepared" : "", tag);
        tu_close(what, got, want, ny, 1e-5, tol_fwd);
        free(got);
    }
    if (pool) check_stem_shortcut(ctx, rng, &st, xd, want, Wt, PF, B, WS, N, C, cout, H, W, tag);
    if (pool) ref_avgpool2_backward(full, goutd, N, cout, H, W);
    else memcpy(full, goutd, nout * 8);
    ref_conv2d_backward_data(gh, full, wd, N, C, cout, H, W, 3);
    for (int acc = 0; acc < 2; acc++) {
        hb_upload(ctx, GIN, prev);
        hb_conv2d_desc Db = D;
        Db.relu = 0;
        Db.accumulate = acc;
        TU_RUN(ctx, cmd, hb_conv2d_backward_data(cmd, &Db, GIN, GOUT, Wt, acc ? PB : HB_NONE, WS));
        for (size_t i = 0; i < nh; i++) want[i] = (pre[i] > 0 ? gh[i] : 0.0) + (acc ? prev[i] : 0.0);
        float *got = tu_download(ctx, GIN);
        snprintf(what, sizeof what, "backward_data_stem%s %s", acc ? " accumulate prepared" : "",
                 tag);
        tu_close(what, got, want, nh, 1e-5, tol_bwd);
        free(got);
    }
    hb_tensor all[] = {X, W1, B1, Wt, B, GOUT, OUT, GIN, WS, PF, PB};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) hb_free(ctx, all[i]);
    free(x), free(w1), free(b1), free(w), free(b), free(gout), free(prev);
    free(xd), free(w1d), free(b1d), free(wd), free(bd), free(goutd);
    free(pre), free(h), free(full), free(want), free(gh);
}

/* A weight-gradient reduction so long (131072 pixels, 32768 rows) that one invocation per tile
 * would pass lavapipe's 65535 loop-iteration limit: checked on sampled elements. C = 32 runs
 * the direct kernel, C = 64 Winograd (8192 tiles in one GEMM reduction). */
static void check_long_wgrad(hb_ctx *ctx, uint64_t *rng, int C) {
    const int N = 2048, H = 16, W = 4, k = 3;
    size_t n = (size_t)N * C * H * W, nw = (size_t)C * C * k * k;
    float *in = malloc(n * 4), *gout = malloc(n * 4);
    tu_rand(rng, in, n, -1, 1);
    tu_rand(rng, gout, n, -1, 1);
    hb_tensor IN = tu_upload(ctx, in, n), GOUT = tu_upload(ctx, gout, n);
    hb_tensor GW = hb_alloc(ctx, nw), GB = hb_alloc(ctx, C);
    const hb_conv2d_desc D = {.N = N, .cin = C, .cout = C, .H = H, .W = W, .k = k};
    size_t nws = hb_conv2d_workspace(ctx, &D, HB_CONV2D_BACKWARD_WEIGHT);
    hb_tensor WS = nws ? hb_alloc(ctx, nws) : HB_NONE;
    TU_RUN(ctx, cmd, hb_conv2d_backward_weight(cmd, &D, GW, GB, IN, GOUT, WS));
    float *gw = tu_download(ctx, GW), *gb = tu_download(ctx, GB);
    enum { SAMPLES = 200 };
    float got[SAMPLES + C];
    double want[SAMPLES + C];
    for (int s = 0; s < SAMPLES + C; s++) {
        int bias = s >= SAMPLES;
        size_t i = bias ? (size_t)(s - SAMPLES) : (size_t)s * (nw / SAMPLES);
        int co = bias ? (int)i : (int)(i / (C * 9)), ci = (int)(i / 9 % C), ky = (int)(i % 9 / 3),
            kx = (int)(i % 3);
        double sum = 0;
        for (int b = 0; b < N; b++)
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++) {
                    double g = gout[(((size_t)b * C + co) * H + y) * W + x];
                    int iy = y + ky - 1, ix = x + kx - 1;
                    if (bias) sum += g;
                    else if (iy >= 0 && iy < H && ix >= 0 && ix < W)
                        sum += g * in[(((size_t)b * C + ci) * H + iy) * W + ix];
                }
        want[s] = sum;
        got[s] = bias ? gb[i] : gw[i];
    }
    char what[128];
    snprintf(what, sizeof what, "backward_weight+bias long reduction N%d C%d %dx%d (workspace %zu)",
             N, C, H, W, nws);
    /* each lane sums up to 32768 values in one float: a wider absolute tolerance; twice that
     * for Winograd, whose transforms (entries up to 8 in A, 4 in G) scale the rounding of
     * an 8192-tile reduction up (measured: 92% of the direct kernel's bound) */
    double atol = (C >= 48 ? 2e-5 : 1e-5) * sqrt((double)N * H * W);
    tu_close(what, got, want, SAMPLES + C, 1e-5, atol);
    hb_tensor all[] = {IN, GOUT, GW, GB};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) hb_free(ctx, all[i]);
    if (nws) hb_free(ctx, WS);
    free(in), free(gout), free(gw), free(gb);
}

int main(void) {
    hb_ctx *ctx = tu_ctx();
    uint64_t rng = 7;
    const shape shapes[] = {
        {1, 1, 1, 1, 1, 3, 1, 0, 1, 0},    {1, 1, 1, 1, 1, 1, 0, 0, 1, 0},
        {5, 3, 7, 4, 4, 3, 1, 0, 1, 0},    {5, 3, 7, 4, 4, 3, 0, 1, 1, 0},
        {1, 7, 33, 7, 7, 3, 1, 0, 1, 0},   {5, 33, 3, 7, 7, 1, 1, 0, 1, 0},
        {2, 1, 33, 32, 32, 3, 1, 0, 0, 0}, {2, 1, 33, 32, 32, 3, 0, 1, 0, 0},
        {1, 33, 7, 32, 32, 3, 0, 0, 0, 0}, {5, 3, 1, 4, 4, 1, 1, 0, 1, 0},
        {2, 33, 33, 4, 4, 1, 0, 0, 1, 0},  {1, 3, 7, 7, 7, 1, 1, 1, 1, 0},
        {5, 7, 3, 32, 32, 1, 1, 0, 0, 0},  {1, 33, 33, 12, 12, 3, 1, 0, 0, 0},
        /* channel counts that are multiples of 4 take the vec4 weight paths */
        {3, 4, 33, 7, 7, 3, 1, 0, 1, 0},   {3, 4, 33, 7, 7, 3, 1, 1, 1, 0},
        {2, 12, 7, 4, 4, 1, 0, 0, 1, 0},   {1, 36, 4, 5, 5, 3, 1, 0, 1, 0},
        {2, 8, 20, 32, 32, 1, 1, 0, 0, 0}, {2, 20, 8, 9, 9, 3, 0, 0, 0, 0},
        {8, 64, 64, 16, 16, 3, 1, 0, 0, 0}, /* SN-GAN sized */
        /* stems (1..4 input channels: WCONST weights) and backward data into 1..4 channels
         * (tiles of cout channels x 8 rows x 8 pixels): aligned and offset, partial tiles */
        {4, 1, 32, 32, 32, 3, 1, 0, 0, 0}, {4, 1, 32, 32, 32, 3, 1, 1, 0, 0},
        {4, 3, 32, 32, 32, 3, 1, 0, 0, 0}, {4, 3, 32, 32, 32, 3, 0, 1, 0, 0},
        {3, 2, 20, 13, 13, 3, 1, 0, 1, 0}, {2, 3, 9, 10, 20, 3, 1, 1, 1, 0},
        {2, 4, 8, 17, 20, 3, 0, 0, 0, 0},  {2, 1, 16, 9, 12, 1, 1, 0, 1, 0},
        {2, 3, 17, 12, 12, 1, 1, 1, 1, 0},
        /* Winograd (3x3, >= 48 channels each way): partial tiles, channels not multiples of
         * 4 or 8, float and vec4 stores, one image per chunk */
        {1, 48, 48, 7, 5, 3, 1, 0, 1, 0},  {2, 52, 49, 9, 11, 3, 1, 1, 1, 0},
        {3, 49, 65, 7, 5, 3, 0, 1, 0, 1},  {3, 64, 48, 16, 16, 3, 1, 0, 0, 1},
        {2, 48, 64, 8, 12, 3, 1, 0, 0, 0}, {1, 48, 48, 1, 1, 3, 1, 0, 1, 0},
    };
    for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++) check_shape(ctx, &rng, &shapes[i]);
    /* pooling fused into Winograd: vec4 reads of the pooled gradient (W/2 a multiple of 4) and
     * float ones, partial tiles, one image per chunk */
    const shape pooled[] = {
        {2, 48, 48, 8, 8, 3, 1, 0, 1, 0},    {2, 52, 49, 10, 6, 3, 1, 1, 1, 0},
        {3, 64, 48, 16, 16, 3, 0, 0, 0, 1},  {2, 48, 64, 8, 16, 3, 1, 1, 0, 1},
        {1, 48, 48, 2, 2, 3, 1, 0, 1, 0},    {2, 64, 64, 32, 32, 3, 1, 0, 0, 0},
        /* below 48 channels only by phases (H, W multiples of 8; tensors on a vec4) */
        {2, 8, 16, 8, 8, 3, 1, 0, 1, 0},     {3, 32, 32, 16, 8, 3, 0, 0, 0, 1},
        {2, 24, 12, 8, 16, 3, 1, 0, 1, 0},
    };
    for (size_t i = 0; i < sizeof pooled / sizeof *pooled; i++) check_pooled(ctx, &rng, &pooled[i]);
    /* stems fused into the next conv: 1 and 3 channels, rows of 1 and 2 tiles, partial
     * tiles (12 rows), pairs of tiles in the output transform (W 16) and not (W 12); pooled
     * ones also with the block's shortcut, one with a tile row past the image (H 6) */
    check_stem(ctx, &rng, 2, 1, 48, 48, 16, 16, 1, 0, 0);
    check_stem(ctx, &rng, 3, 3, 52, 49, 12, 12, 0, 1, 1);
    check_stem(ctx, &rng, 2, 1, 64, 64, 8, 4, 0, 0, 0);
    check_stem(ctx, &rng, 2, 4, 48, 48, 16, 8, 1, 0, 1);
    check_stem(ctx, &rng, 2, 3, 48, 48, 6, 12, 1, 0, 0);
    check_stem(ctx, &rng, 2, 1, 32, 32, 16, 16, 1, 0, 0); /* by phases only */
    hb_tensor stand_in = hb_alloc(ctx, 1); /* the question is about shapes */
    hb_conv2d_desc stem16 = {.N = 1, .cin = 32, .cout = 32, .H = 16, .W = 16, .k = 3,
                             .stem = {.x = stand_in, .cin = 1}},
                   pool12 = {.N = 1, .cin = 32, .cout = 32, .H = 12, .W = 12, .k = 3, .pool = 1};
    tu_check(!hb_conv2d_supports(&stem16, HB_CONV2D_FORWARD) &&
                 !hb_conv2d_supports(&pool12, HB_CONV2D_FORWARD),
             "below 48 channels a stem fuses only into a pooled conv, and pooling only where H and "
             "W are multiples of 8");
    hb_free(ctx, stand_in);
    check_long_wgrad(ctx, &rng, 32);
    check_long_wgrad(ctx, &rng, 64);
    return tu_finish(ctx);
}
