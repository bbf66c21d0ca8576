/* The FID Inception network as code: one walk over the layers (inception_walk) serves both to
 * plan (shapes, activation sizes, weights loaded and folded, in walk order) and to record a
 * batch's forward pass. Branches of a block write straight into their channel range of the
 * block's output, so a concatenation costs nothing. Activations live in slots: the trunk
 * alternates between two, branch intermediates use two more. */
#include "eval/inception.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/safetensors.h"

#define BN_EPS 1e-3  /* TensorFlow's batch norm epsilon in this graph */
#define MAX_CONVS 96 /* the network has 94 */

enum { SLOT_IN, SLOT_T0, SLOT_T1, SLOT_A, SLOT_B, NSLOTS };

typedef struct {
    hb_tensor w, b; /* batch norm folded in */
    hb_tensor prep; /* w rearranged for the general kernel's vec4 reads (hb_conv2d_prepare) */
} inc_conv;

/* An activation: slot and per-image shape */
typedef struct {
    int slot, c, h, w;
} val;

struct hb_inception {
    hb_ctx *ctx;
    int max_batch;
    inc_conv conv[MAX_CONVS];
    int nconv;
    double flops;
    size_t slot_floats[NSLOTS]; /* per image, the largest use (planned) */
    hb_tensor slot[NSLOTS];     /* [max_batch x slot_floats] */
    hb_tensor features;         /* [max_batch][2048] */
    int in_h, in_w;             /* the input slot's current image size */
};

/* One walk: planning (cmd NULL; st set while weights load) or recording a batch of N. */
typedef struct {
    hb_inception *net;
    hb_cmd *cmd;
    const hb_st_file *st;
    int N, next_conv;
    char *err;
    size_t errlen;
    int failed;
} walk;

static void use_slot(walk *k, val v) {
    size_t n = (size_t)v.c * v.h * v.w;
    if (!k->cmd && n > k->net->slot_floats[v.slot]) k->net->slot_floats[v.slot] = n;
}

static hb_tensor slot_tensor(walk *k, int slot) { return k->net->slot[slot]; }

/* Loads NAME.conv.weight and NAME.bn.* and folds them: w' = w s, b' = beta - mean s with
 * s = gamma / sqrt(var + eps); then prepares them for d's convolution. */
static int load_conv(walk *k, const char *name, const hb_conv2d_desc *d, inc_conv *c) {
    int cin = d->cin, cout = d->cout, kh = d->kh, kw = d->kw;
    static const char *bn[4] = {"bn.weight", "bn.bias", "bn.running_mean", "bn.running_var"};
    char key[128];
    const hb_st_tensor *p[4];
    int64_t wshape[4] = {cout, cin, kh, kw}, bshape[1] = {cout};
    snprintf(key, sizeof key, "%s.conv.weight", name);
    if (hb_st_expect(k->st, key, 4, wshape, k->err, k->errlen)) return -1;
    const hb_st_tensor *wt = hb_st_find(k->st, key);
    for (int i = 0; i < 4; i++) {
        snprintf(key, sizeof key, "%s.%s", name, bn[i]);
        if (hb_st_expect(k->st, key, 1, bshape, k->err, k->errlen)) return -1;
        p[i] = hb_st_find(k->st, key);
    }
    size_t per = (size_t)cin * kh * kw;
    float *w = malloc((size_t)cout * per * sizeof *w), *b = malloc((size_t)cout * sizeof *b);
    if (!w || !b) {
        free(w), free(b);
        snprintf(k->err, k->errlen, "out of memory loading %s", name);
        return -1;
    }
    for (int o = 0; o < cout; o++) {
        double s = p[0]->data[o] / sqrt((double)p[3]->data[o] + BN_EPS);
        for (size_t j = 0; j < per; j++) w[o * per + j] = (float)(wt->data[o * per + j] * s);
        b[o] = (float)(p[1]->data[o] - p[2]->data[o] * s);
    }
    c->w = hb_alloc(k->net->ctx, (size_t)cout * per);
    c->b = hb_alloc(k->net->ctx, (size_t)cout);
    hb_upload(k->net->ctx, c->w, w);
    hb_upload(k->net->ctx, c->b, b);
    free(w), free(b);
    hb_cmd *cmd = hb_cmd_create(k->net->ctx);
    hb_cmd_begin(cmd);
    hb_conv2d_prepare(cmd, d, HB_CONV2D_FORWARD, c->w, &c->prep);
    hb_cmd_end(cmd);
    hb_cmd_run(cmd);
    hb_cmd_destroy(cmd);
    return 0;
}

/* BasicConv2d (conv, batch norm, relu) from x into `out_slot` at channel c_off of c_total
 * (0: a tensor of its own); the value returned is the whole output. */
static val conv(walk *k, const char *block, const char *name, val x, int cout, int kh, int kw,
                int stride, int ph, int pw, int out_slot, int c_off, int c_total) {
    char full[96];
    snprintf(full, sizeof full, "%s%s%s", block, *block ? "." : "", name);
    hb_conv2d_desc d = {.N = k->N, .cin = x.c, .cout = cout, .H = x.h, .W = x.w, .kh = kh, .kw = kw,
                        .stride = stride, .pad_h = ph, .pad_w = pw, .relu = 1, .out_c_off = c_off,
                        .out_c_total = c_total ? c_total : cout};
    int Ho = hb_window_out(d.H, d.kh, d.stride, d.pad_h),
        Wo = hb_window_out(d.W, d.kw, d.stride, d.pad_w);
    val y = {out_slot, c_total ? c_total : cout, Ho, Wo};
    if (k->failed) return y;
    if (!k->cmd) {
        if (k->net->nconv == MAX_CONVS)
            hb_die(1, "inception: more than %d convolutions", MAX_CONVS);
        if (load_conv(k, full, &d, &k->net->conv[k->net->nconv])) {
            k->failed = 1;
            return y;
        }
        k->net->nconv++;
        k->net->flops += 2.0 * x.c * cout * kh * kw * Ho * Wo;
        use_slot(k, y);
        return y;
    }
    inc_conv *c = &k->net->conv[k->next_conv++];
    hb_conv2d_forward(k->cmd, &d, slot_tensor(k, out_slot), slot_tensor(k, x.slot), c->w, c->b,
                      c->prep, HB_NONE);
    return y;
}

static val pool(walk *k, val x, int max, int stride, int pad, int out_slot, int c_off,
                int c_total) {
    hb_pool2d_desc d = {k->N, x.c, x.h, x.w, max, 3, stride, pad, c_off, c_total};
    int Ho = hb_window_out(d.H, d.k, d.stride, d.pad),
        Wo = hb_window_out(d.W, d.k, d.stride, d.pad);
    val y = {out_slot, c_total ? c_total : x.c, Ho, Wo};
    if (!k->cmd)
        use_slot(k, y);
    else if (!k->failed)
        hb_pool2d(k->cmd, &d, slot_tensor(k, out_slot), slot_tensor(k, x.slot));
    return y;
}

/* Conv and pooling shorthands: square kernels with symmetric padding, 1x1, and the factorised
 * 1xn / nx1 kernels padded to keep the size */
#define CONV(name, x, cout, kk, s, p, slot, off, tot)                                              \
    conv(k, b, name, x, cout, kk, kk, s, p, p, slot, off, tot)
#define CONV_1XN(name, x, cout, n, slot, off, tot)                                                 \
    conv(k, b, name, x, cout, 1, n, 1, 0, n / 2, slot, off, tot)
#define CONV_NX1(name, x, cout, n, slot, off, tot)                                                 \
    conv(k, b, name, x, cout, n, 1, 1, n / 2, 0, slot, off, tot)

/* FIDInceptionA: 64 + 64 + 96 + pool_features channels */
static val block_a(walk *k, const char *b, val x, int out, int pool_features) {
    int tot = 224 + pool_features;
    CONV("branch1x1", x, 64, 1, 1, 0, out, 0, tot);
    val t = CONV("branch5x5_1", x, 48, 1, 1, 0, SLOT_A, 0, 0);
    CONV("branch5x5_2", t, 64, 5, 1, 2, out, 64, tot);
    t = CONV("branch3x3dbl_1", x, 64, 1, 1, 0, SLOT_A, 0, 0);
    t = CONV("branch3x3dbl_2", t, 96, 3, 1, 1, SLOT_B, 0, 0);
    CONV("branch3x3dbl_3", t, 96, 3, 1, 1, out, 128, tot);
    t = pool(k, x, 0, 1, 1, SLOT_A, 0, 0);
    return CONV("branch_pool", t, pool_features, 1, 1, 0, out, 224, tot);
}

/* InceptionB (Mixed_6a): 384 + 96 + the input's 288, at half the size */
static val block_b(walk *k, const char *b, val x, int out) {
    int tot = 480 + x.c;
    CONV("branch3x3", x, 384, 3, 2, 0, out, 0, tot);
    val t = CONV("branch3x3dbl_1", x, 64, 1, 1, 0, SLOT_A, 0, 0);
    t = CONV("branch3x3dbl_2", t, 96, 3, 1, 1, SLOT_B, 0, 0);
    CONV("branch3x3dbl_3", t, 96, 3, 2, 0, out, 384, tot);
    return pool(k, x, 1, 2, 0, out, 480, tot);
}

/* FIDInceptionC: 4 x 192 channels, 7x7 convolutions factorised into 1x7 and 7x1 */
static val block_c(walk *k, const char *b, val x, int out, int c7) {
    CONV("branch1x1", x, 192, 1, 1, 0, out, 0, 768);
    val t = CONV("branch7x7_1", x, c7, 1, 1, 0, SLOT_A, 0, 0);
    t = CONV_1XN("branch7x7_2", t, c7, 7, SLOT_B, 0, 0);
    CONV_NX1("branch7x7_3", t, 192, 7, out, 192, 768);
    t = CONV("branch7x7dbl_1", x, c7, 1, 1, 0, SLOT_A, 0, 0);
    t = CONV_NX1("branch7x7dbl_2", t, c7, 7, SLOT_B, 0, 0);
    t = CONV_1XN("branch7x7dbl_3", t, c7, 7, SLOT_A, 0, 0);
    t = CONV_NX1("branch7x7dbl_4", t, c7, 7, SLOT_B, 0, 0);
    CONV_1XN("branch7x7dbl_5", t, 192, 7, out, 384, 768);
    t = pool(k, x, 0, 1, 1, SLOT_A, 0, 0);
    return CONV("branch_pool", t, 192, 1, 1, 0, out, 576, 768);
}

/* InceptionD (Mixed_7a): 320 + 192 + the input's 768, at half the size */
static val block_d(walk *k, const char *b, val x, int out) {
    int tot = 512 + x.c;
    val t = CONV("branch3x3_1", x, 192, 1, 1, 0, SLOT_A, 0, 0);
    CONV("branch3x3_2", t, 320, 3, 2, 0, out, 0, tot);
    t = CONV("branch7x7x3_1", x, 192, 1, 1, 0, SLOT_A, 0, 0);
    t = CONV_1XN("branch7x7x3_2", t, 192, 7, SLOT_B, 0, 0);
    t = CONV_NX1("branch7x7x3_3", t, 192, 7, SLOT_A, 0, 0);
    CONV("branch7x7x3_4", t, 192, 3, 2, 0, out, 320, tot);
    return pool(k, x, 1, 2, 0, out, 512, tot);
}

/* FIDInceptionE_1 (average pool, padding left out) and E_2 (max pool): 2048 channels */
static val block_e(walk *k, const char *b, val x, int out, int max_pool) {
    CONV("branch1x1", x, 320, 1, 1, 0, out, 0, 2048);
    val t = CONV("branch3x3_1", x, 384, 1, 1, 0, SLOT_A, 0, 0);
    CONV_1XN("branch3x3_2a", t, 384, 3, out, 320, 2048);
    CONV_NX1("branch3x3_2b", t, 384, 3, out, 704, 2048);
    t = CONV("branch3x3dbl_1", x, 448, 1, 1, 0, SLOT_A, 0, 0);
    t = CONV("branch3x3dbl_2", t, 384, 3, 1, 1, SLOT_B, 0, 0);
    CONV_1XN("branch3x3dbl_3a", t, 384, 3, out, 1088, 2048);
    CONV_NX1("branch3x3dbl_3b", t, 384, 3, out, 1472, 2048);
    t = pool(k, x, max_pool, 1, 1, SLOT_A, 0, 0);
    return CONV("branch_pool", t, 192, 1, 1, 0, out, 1856, 2048);
}

/* The whole network from the input slot (3 x in_h x in_w) to the 8x8 map before the final
 * average pool, which it returns. */
static val inception_walk(walk *k) {
    const char *b = "";
    hb_inception *net = k->net;
    val x = {SLOT_IN, 3, net->in_h, net->in_w},
        r = {SLOT_T0, 3, HB_INCEPTION_SIZE, HB_INCEPTION_SIZE};
    if (!k->cmd)
        use_slot(k, r);
    else
        hb_resize_bilinear(k->cmd, slot_tensor(k, SLOT_T0), slot_tensor(k, SLOT_IN), k->N, 3, x.h,
                           x.w, r.h, r.w);
    x = CONV("Conv2d_1a_3x3", r, 32, 3, 2, 0, SLOT_T1, 0, 0);
    x = CONV("Conv2d_2a_3x3", x, 32, 3, 1, 0, SLOT_T0, 0, 0);
    x = CONV("Conv2d_2b_3x3", x, 64, 3, 1, 1, SLOT_T1, 0, 0);
    x = pool(k, x, 1, 2, 0, SLOT_T0, 0, 0);
    x = CONV("Conv2d_3b_1x1", x, 80, 1, 1, 0, SLOT_T1, 0, 0);
    x = CONV("Conv2d_4a_3x3", x, 192, 3, 1, 0, SLOT_T0, 0, 0);
    x = pool(k, x, 1, 2, 0, SLOT_T1, 0, 0);
    x = block_a(k, "Mixed_5b", x, SLOT_T0, 32);
    x = block_a(k, "Mixed_5c", x, SLOT_T1, 64);
    x = block_a(k, "Mixed_5d", x, SLOT_T0, 64);
    x = block_b(k, "Mixed_6a", x, SLOT_T1);
    x = block_c(k, "Mixed_6b", x, SLOT_T0, 128);
    x = block_c(k, "Mixed_6c", x, SLOT_T1, 160);
    x = block_c(k, "Mixed_6d", x, SLOT_T0, 160);
    x = block_c(k, "Mixed_6e", x, SLOT_T1, 192);
    x = block_d(k, "Mixed_7a", x, SLOT_T0);
    x = block_e(k, "Mixed_7b", x, SLOT_T1, 0);
    return block_e(k, "Mixed_7c", x, SLOT_T0, 1);
}

static void free_slots(hb_inception *net) {
    for (int s = 0; s < NSLOTS; s++)
        if (net->slot[s].buf) hb_free(net->ctx, net->slot[s]);
    memset(net->slot, 0, sizeof net->slot);
}

/* Allocates the slots, the input slot for images of h x w; returns the batch they hold (fewer
 * than max_batch when large images would not fit one device buffer). */
static int alloc_slots(hb_inception *net, int h, int w) {
    free_slots(net);
    net->in_h = h, net->in_w = w;
    net->slot_floats[SLOT_IN] = (size_t)3 * h * w;
    size_t cap = hb_max_tensor_floats(net->ctx) / net->slot_floats[SLOT_IN];
    int batch = cap < (size_t)net->max_batch ? (int)cap : net->max_batch;
    if (batch < 1) hb_die(2, "inception: one %dx%d image exceeds a device buffer", h, w);
    for (int s = 0; s < NSLOTS; s++) net->slot[s] = hb_alloc(net->ctx, net->slot_floats[s] * batch);
    return batch;
}

hb_inception *hb_inception_load(hb_ctx *ctx, const char *path, int max_batch, char *err,
                                size_t errlen) {
    hb_st_file st;
    if (hb_st_load(path, &st, err, errlen)) return NULL;
    hb_inception *net = calloc(1, sizeof *net);
    net->ctx = ctx;
    net->in_h = net->in_w = HB_INCEPTION_SIZE;
    walk k = {.net = net, .st = &st, .N = 1, .err = err, .errlen = errlen};
    val out = inception_walk(&k);
    hb_st_free(&st);
    if (k.failed) {
        hb_inception_free(net);
        return NULL;
    }
    if (out.c != HB_INCEPTION_FEATURES || out.h != 8 || out.w != 8)
        hb_die(1, "inception: the walk ends in %dx%dx%d, not 2048x8x8", out.c, out.h, out.w);
    /* the largest activation must fit one device buffer */
    size_t most = 0, cap = hb_max_tensor_floats(ctx);
    for (int s = 0; s < NSLOTS; s++)
        if (net->slot_floats[s] > most) most = net->slot_floats[s];
    net->max_batch = max_batch < 1 ? 1 : max_batch;
    if ((size_t)net->max_batch * most > cap) net->max_batch = (int)(cap / most);
    net->features = hb_alloc(ctx, (size_t)net->max_batch * HB_INCEPTION_FEATURES);
    return net;
}

void hb_inception_free(hb_inception *net) {
    if (!net) return;
    for (int i = 0; i < net->nconv; i++) {
        hb_free(net->ctx, net->conv[i].w);
        hb_free(net->ctx, net->conv[i].b);
        hb_free(net->ctx, net->conv[i].prep);
    }
    free_slots(net);
    if (net->features.buf) hb_free(net->ctx, net->features);
    free(net);
}

double hb_inception_flops(const hb_inception *net) { return net->flops; }
int hb_inception_batch(const hb_inception *net) { return net->max_batch; }

static void record(hb_inception *net, hb_cmd *cmd, int N) {
    walk k = {.net = net, .cmd = cmd, .N = N};
    hb_cmd_begin(cmd);
    val x = inception_walk(&k);
    hb_global_avgpool(cmd, net->features, slot_tensor(&k, x.slot), N, x.c, x.h * x.w);
    hb_cmd_end(cmd);
}

void hb_inception_features(hb_inception *net, const float *images, long n, int c, int h, int w,
                           float *features, hb_inception_progress progress, void *user) {
    if (c != 1 && c != 3) hb_die(1, "inception: %d channels (1 or 3)", c);
    int batch = alloc_slots(net, h, w);
    size_t px = (size_t)h * w;
    float *rgb = malloc((size_t)batch * 3 * px * sizeof *rgb);
    if (!rgb) hb_die(2, "inception: out of host memory for a batch of %d", batch);
    hb_cmd *cmd = hb_cmd_create(net->ctx);
    int recorded = 0;
    for (long i0 = 0; i0 < n; i0 += batch) {
        int N = n - i0 < batch ? (int)(n - i0) : batch;
        for (int i = 0; i < N; i++) /* grey repeated to 3 channels, as pytorch-fid's loaders do */
            for (int ch = 0; ch < 3; ch++)
                memcpy(rgb + ((size_t)i * 3 + ch) * px,
                       images + ((size_t)(i0 + i) * c + (c == 1 ? 0 : ch)) * px, px * sizeof *rgb);
        hb_upload(net->ctx, hb_slice(net->slot[SLOT_IN], 0, (uint32_t)(N * 3 * px)), rgb);
        if (recorded != N) record(net, cmd, N), recorded = N; /* replayed while N stays */
        hb_cmd_run(cmd);
        hb_download(net->ctx, hb_slice(net->features, 0, (uint32_t)N * HB_INCEPTION_FEATURES),
                    features + (size_t)i0 * HB_INCEPTION_FEATURES);
        if (progress) progress(user, i0 + N, n);
    }
    hb_cmd_destroy(cmd);
    free(rgb);
    free_slots(net);
}
