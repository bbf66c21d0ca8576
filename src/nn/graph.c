/* Static network graphs: building, forward and backward recording, parameters. */
#include "nn/graph.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/sphere.h"

#define PARAM_ALIGN 16u /* floats: every parameter starts vec4- and cache-line-aligned */

hb_graph *hb_g_new(hb_ctx *ctx, const char *name) {
    hb_graph *g = calloc(1, sizeof *g);
    g->ctx = ctx;
    snprintf(g->name, sizeof g->name, "%s", name);
    g->output = -1;
    return g;
}

static int is_alias(const hb_g_node *n) { return n->kind == HB_G_RESHAPE; }

/* The value whose tensors a node uses (a reshape uses its input's). */
static int root(const hb_graph *g, int v) {
    while (is_alias(&g->nodes[v])) v = g->nodes[v].in0;
    return v;
}

void hb_g_free(hb_graph *g) {
    if (!g) return;
    for (int i = 0; i < g->nnodes; i++) {
        if (is_alias(&g->nodes[i])) continue;
        hb_free(g->ctx, g->nodes[i].val);
        if (!g->nodes[i].shares_grad) hb_free(g->ctx, g->nodes[i].grad);
        if (g->nodes[i].prep_fwd.buf) hb_free(g->ctx, g->nodes[i].prep_fwd);
        if (g->nodes[i].prep_bwd.buf) hb_free(g->ctx, g->nodes[i].prep_bwd);
    }
    hb_g_flat_free(g, &g->weights);
    hb_g_flat_free(g, &g->grads);
    hb_free(g->ctx, g->workspace);
    hb_free(g->ctx, g->temp);
    free(g->nodes);
    free(g->params);
    free(g);
}

static size_t shape_size(hb_shape s) { return (size_t)s.c * s.h * s.w; }
size_t hb_g_size(const hb_graph *g, int v) { return shape_size(g->nodes[v].shape); }

static hb_g_node *node_of(hb_graph *g, int v) {
    if (v < 0 || v >= g->nnodes) hb_die(1, "%s: no value %d in the graph", g->name, v);
    return &g->nodes[v];
}

static int add_node(hb_graph *g, hb_g_kind kind, int in0, int in1, hb_shape shape) {
    if (g->max_batch) hb_die(1, "%s: graph already finalised", g->name);
    if (g->nnodes == g->nodes_cap) {
        g->nodes_cap = g->nodes_cap ? 2 * g->nodes_cap : 32;
        g->nodes = realloc(g->nodes, g->nodes_cap * sizeof *g->nodes);
    }
    g->nodes[g->nnodes] = (hb_g_node){.kind = kind, .in0 = in0, .in1 = in1, .shape = shape,
                                      .weight = -1, .bias = -1};
    return g->nnodes++;
}

static int add_param(hb_graph *g, const char *base, const char *suffix, int ndim,
                     const int64_t *shape, int init, float fan_in, float fan_out) {
    if (g->nparams == g->params_cap) {
        g->params_cap = g->params_cap ? 2 * g->params_cap : 32;
        g->params = realloc(g->params, g->params_cap * sizeof *g->params);
    }
    hb_g_param_info *p = &g->params[g->nparams];
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s.%s", base, suffix);
    p->ndim = ndim;
    p->n = 1;
    for (int i = 0; i < ndim; i++) p->shape[i] = shape[i], p->n *= (uint32_t)shape[i];
    p->init = init;
    p->fan_in = fan_in;
    p->fan_out = fan_out;
    p->off = g->nparam_floats;
    g->nparam_floats += (p->n + PARAM_ALIGN - 1) & ~(PARAM_ALIGN - 1);
    return g->nparams++;
}

int hb_g_input(hb_graph *g, hb_shape s) {
    if (g->nnodes) hb_die(1, "%s: the input must be the first value", g->name);
    return add_node(g, HB_G_INPUT, -1, -1, s);
}

int hb_g_conv(hb_graph *g, int x, const char *name, int cout, int k, int bias) {
    hb_shape s = node_of(g, x)->shape;
    int v = add_node(g, HB_G_CONV, x, -1, (hb_shape){cout, s.h, s.w});
    int64_t ws[4] = {cout, s.c, k, k}, bs[1] = {cout};
    g->nodes[v].k = k;
    g->nodes[v].weight = add_param(g, name, "weight", 4, ws, HB_INIT_GLOROT, (float)s.c * k * k,
                                   (float)cout * k * k);
    if (bias) g->nodes[v].bias = add_param(g, name, "bias", 1, bs, HB_INIT_ZERO, 0, 0);
    return v;
}

int hb_g_linear(hb_graph *g, int x, const char *name, int out, int bias) {
    int in = (int)hb_g_size(g, x);
    int v = add_node(g, HB_G_LINEAR, x, -1, (hb_shape){out, 1, 1});
    int64_t ws[2] = {out, in}, bs[1] = {out};
    g->nodes[v].weight = add_param(g, name, "weight", 2, ws, HB_INIT_GLOROT, (float)in, (float)out);
    if (bias) g->nodes[v].bias = add_param(g, name, "bias", 1, bs, HB_INIT_ZERO, 0, 0);
    return v;
}

static int unary(hb_graph *g, hb_g_kind kind, int x) {
    return add_node(g, kind, x, -1, node_of(g, x)->shape);
}
int hb_g_relu(hb_graph *g, int x) { return unary(g, HB_G_RELU, x); }
int hb_g_sphere(hb_graph *g, int x) { return unary(g, HB_G_SPHERE, x); }

int hb_g_tanh(hb_graph *g, int x, float scale) {
    int v = unary(g, HB_G_TANH, x);
    g->nodes[v].scale = scale;
    return v;
}

int hb_g_avgpool(hb_graph *g, int x) {
    hb_shape s = node_of(g, x)->shape;
    if (s.h % 2 || s.w % 2) hb_die(1, "%s: 2x2 pooling of odd size %dx%d", g->name, s.h, s.w);
    return add_node(g, HB_G_AVGPOOL, x, -1, (hb_shape){s.c, s.h / 2, s.w / 2});
}

int hb_g_upsample(hb_graph *g, int x) {
    hb_shape s = node_of(g, x)->shape;
    return add_node(g, HB_G_UPSAMPLE, x, -1, (hb_shape){s.c, 2 * s.h, 2 * s.w});
}

int hb_g_affine(hb_graph *g, int x, const char *name) {
    int v = unary(g, HB_G_AFFINE, x);
    int64_t cs[1] = {g->nodes[x].shape.c};
    g->nodes[v].weight = add_param(g, name, "weight", 1, cs, HB_INIT_ONE, 0, 0);
    g->nodes[v].bias = add_param(g, name, "bias", 1, cs, HB_INIT_ZERO, 0, 0);
    return v;
}

int hb_g_gap(hb_graph *g, int x) {
    return add_node(g, HB_G_GAP, x, -1, (hb_shape){node_of(g, x)->shape.c, 1, 1});
}

int hb_g_add(hb_graph *g, int a, int b) {
    hb_shape sa = node_of(g, a)->shape, sb = node_of(g, b)->shape;
    if (sa.c != sb.c || sa.h != sb.h || sa.w != sb.w)
        hb_die(1, "%s: adding values of shapes %dx%dx%d and %dx%dx%d", g->name, sa.c, sa.h, sa.w,
               sb.c, sb.h, sb.w);
    return add_node(g, HB_G_ADD, a, b, sa);
}

int hb_g_reshape(hb_graph *g, int x, hb_shape s) {
    if (shape_size(s) != hb_g_size(g, x)) hb_die(1, "%s: reshape changes the size", g->name);
    return add_node(g, HB_G_RESHAPE, x, -1, s);
}

/* Backward passes of these ops overwrite; a second gradient into the same value goes
 * through g->temp and is added. */
static int backward_accumulates(hb_g_kind k) {
    return !(k == HB_G_UPSAMPLE || k == HB_G_TANH || k == HB_G_GAP || k == HB_G_SPHERE);
}

/* Parameters fill device chunks in order, each chunk at most what one buffer can bind.
 * $HATEBM_PARAM_CHUNK_FLOATS asks for smaller chunks (a parameter larger than that gets one of
 * its own), so the tests exercise the multi-chunk paths on any device. */
static void assign_chunks(hb_graph *g) {
    size_t hard = hb_max_tensor_floats(g->ctx), cap = hard;
    const char *env = getenv("HATEBM_PARAM_CHUNK_FLOATS");
    if (env && strtoull(env, NULL, 10) > 0 && strtoull(env, NULL, 10) < cap)
        cap = strtoull(env, NULL, 10);
    int c = 0;
    g->chunk_base[0] = 0;
    for (int i = 0; i < g->nparams; i++) {
        hb_g_param_info *p = &g->params[i];
        uint32_t end = i + 1 < g->nparams ? g->params[i + 1].off : g->nparam_floats;
        if (end - p->off > hard)
            hb_die(2, "%s: parameter %s (%u floats) exceeds what one buffer holds on this "
                   "device (%zu floats)", g->name, p->name, p->n, hard);
        if (end - g->chunk_base[c] > cap && p->off > g->chunk_base[c]) {
            if (++c == HB_G_MAX_CHUNKS)
                hb_die(2, "%s: %u parameters need more than %d buffers of %zu floats", g->name,
                       g->nparam_floats, HB_G_MAX_CHUNKS, cap);
            g->chunk_base[c] = p->off;
        }
        p->chunk = c;
    }
    g->chunk_base[c + 1] = g->nparam_floats;
    g->weights.n = g->grads.n = c + 1;
}

hb_g_flat hb_g_flat_alloc(const hb_graph *g) {
    hb_g_flat f = {.n = g->weights.n};
    for (int c = 0; c < f.n; c++) {
        uint32_t n = g->chunk_base[c + 1] - g->chunk_base[c];
        f.t[c] = hb_alloc(g->ctx, n ? n : 1);
    }
    return f;
}

void hb_g_flat_free(const hb_graph *g, hb_g_flat *f) {
    for (int c = 0; c < f->n; c++) hb_free(g->ctx, f->t[c]);
    f->n = 0;
}

float *hb_g_download_flat(const hb_graph *g, const hb_g_flat *f) {
    float *flat = calloc(g->nparam_floats ? g->nparam_floats : 1, sizeof *flat);
    for (int c = 0; c < f->n; c++)
        if (g->chunk_base[c + 1] > g->chunk_base[c])
            hb_download(g->ctx, hb_slice(f->t[c], 0, g->chunk_base[c + 1] - g->chunk_base[c]),
                        flat + g->chunk_base[c]);
    return flat;
}

void hb_g_upload_flat(const hb_graph *g, const hb_g_flat *f, const float *host) {
    for (int c = 0; c < f->n; c++)
        if (g->chunk_base[c + 1] > g->chunk_base[c])
            hb_upload(g->ctx, hb_slice(f->t[c], 0, g->chunk_base[c + 1] - g->chunk_base[c]),
                      host + g->chunk_base[c]);
}

/* The largest conv (Winograd, weight-gradient) / sphere workspace and accumulation temporary that
 * batches up to max_batch need. */
static void scratch_sizes(const hb_graph *g, int max_batch, size_t *ws, size_t *temp) {
    *ws = *temp = 0;
    int *consumers = calloc((size_t)g->nnodes, sizeof *consumers);
    for (int i = 0; i < g->nnodes; i++) {
        const hb_g_node *n = &g->nodes[i];
        if (n->in0 >= 0) consumers[root(g, n->in0)]++;
        if (n->in1 >= 0) consumers[root(g, n->in1)]++;
        hb_shape in = n->in0 >= 0 ? g->nodes[n->in0].shape : n->shape;
        size_t need = 0;
        if (n->kind == HB_G_CONV)
            need = hb_conv2d_workspace(g->ctx, max_batch, in.c, n->shape.c, in.h, in.w, n->k);
        if (n->kind == HB_G_SPHERE) need = 2 * (size_t)max_batch;
        if (need > *ws) *ws = need;
    }
    for (int i = 0; i < g->nnodes; i++) {
        const hb_g_node *n = &g->nodes[i];
        if (n->in0 >= 0 && !backward_accumulates(n->kind) && consumers[root(g, n->in0)] > 1) {
            size_t size = (size_t)max_batch * hb_g_size(g, n->in0);
            if (size > *temp) *temp = size;
        }
    }
    free(consumers);
}

/* n floats as hb_alloc rounds them (whole 64-byte lines, at least one) */
static size_t alloc_floats(size_t n) { return n ? (n + 15) / 16 * 16 : 16; }

/* Counts each value's consumers, which decide the fusions (relu_of_conv, pool_of_conv,
 * conv_through_relu, and this): a value that feeds nothing but one add takes the add's gradient tensor as its
 * own, since the add passes its gradient through unchanged; its backward pass copies
 * nothing. */
static void plan_fusions(hb_graph *g) {
    for (int i = 0; i < g->nnodes; i++) g->nodes[i].consumers = 0;
    for (int i = 1; i < g->nnodes; i++)
        for (int s = 0; s < 2; s++) {
            int v = s ? g->nodes[i].in1 : g->nodes[i].in0;
            if (v < 0) continue;
            g->nodes[root(g, v)].consumers++;
            g->nodes[root(g, v)].consumer = i;
        }
    for (int i = 1; i < g->nnodes; i++) {
        hb_g_node *n = &g->nodes[i];
        if (n->kind != HB_G_ADD) continue;
        int srcs[2] = {n->in0, n->in1};
        for (int s = 0; s < 2; s++) {
            hb_g_node *src = &g->nodes[srcs[s]];
            if (srcs[s] > 0 && !is_alias(src) && src->consumers == 1) src->shares_grad = i;
        }
    }
}

size_t hb_g_plan_floats(hb_graph *g, int max_batch) {
    size_t ws, temp, total = 2 * alloc_floats(g->nparam_floats);
    scratch_sizes(g, max_batch, &ws, &temp);
    plan_fusions(g);
    for (int i = 0; i < g->nnodes; i++)
        if (!is_alias(&g->nodes[i]))
            total += (g->nodes[i].shares_grad ? 1 : 2) *
                     alloc_floats((size_t)max_batch * shape_size(g->nodes[i].shape));
    return total + alloc_floats(ws) + alloc_floats(temp);
}

void hb_g_finalize(hb_graph *g, int max_batch) {
    if (max_batch < 1) hb_die(1, "%s: batch must be positive", g->name);
    g->max_batch = max_batch;
    g->output = g->nnodes - 1;
    hb_ctx *ctx = g->ctx;
    assign_chunks(g);
    g->weights = hb_g_flat_alloc(g);
    g->grads = hb_g_flat_alloc(g);
    plan_fusions(g);
    for (int i = 0; i < g->nnodes; i++) {
        hb_g_node *n = &g->nodes[i];
        if (is_alias(n)) continue;
        size_t size = (size_t)max_batch * shape_size(n->shape);
        n->val = hb_alloc(ctx, size);
        if (!n->shares_grad) n->grad = hb_alloc(ctx, size);
    }
    for (int i = g->nnodes - 1; i > 0; i--) /* from the output back: chains of adds share one */
        if (g->nodes[i].shares_grad) g->nodes[i].grad = g->nodes[g->nodes[i].shares_grad].grad;
    size_t ws, temp;
    scratch_sizes(g, max_batch, &ws, &temp);
    g->workspace = hb_alloc(ctx, ws ? ws : 1);
    g->temp = hb_alloc(ctx, temp ? temp : 1);
}

static uint64_t splitmix(uint64_t *s) {
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void hb_g_init_params(hb_graph *g, uint64_t seed) {
    float *flat = calloc(g->nparam_floats ? g->nparam_floats : 1, sizeof *flat);
    uint64_t state = seed;
    for (int i = 0; i < g->nparams; i++) {
        hb_g_param_info *p = &g->params[i];
        float limit = p->init == HB_INIT_GLOROT ? sqrtf(6.0f / (p->fan_in + p->fan_out)) : 0;
        for (uint32_t j = 0; j < p->n; j++) {
            float u = (float)((splitmix(&state) >> 40) * 0x1p-24); /* [0, 1) */
            flat[p->off + j] = p->init == HB_INIT_GLOROT ? (2 * u - 1) * limit
                               : p->init == HB_INIT_ONE  ? 1.0f
                                                         : 0.0f;
        }
    }
    hb_g_upload_flat(g, &g->weights, flat);
    free(flat);
}

static void require_batch(const hb_graph *g, int batch) {
    if (batch < 1 || batch > g->max_batch)
        hb_die(1, "%s: batch %d outside 1..%d", g->name, batch, g->max_batch);
}

hb_tensor hb_g_value(const hb_graph *g, int v, int batch) {
    require_batch(g, batch);
    return hb_slice(g->nodes[root(g, v)].val, 0, (uint32_t)(batch * hb_g_size(g, v)));
}

hb_tensor hb_g_grad(const hb_graph *g, int v, int batch) {
    require_batch(g, batch);
    return hb_slice(g->nodes[root(g, v)].grad, 0, (uint32_t)(batch * hb_g_size(g, v)));
}

static hb_tensor in_chunk(const hb_graph *g, const hb_g_flat *f, int i) {
    const hb_g_param_info *p = &g->params[i];
    return hb_slice(f->t[p->chunk], p->off - g->chunk_base[p->chunk], p->n);
}
hb_tensor hb_g_param(const hb_graph *g, int i) { return in_chunk(g, &g->weights, i); }
hb_tensor hb_g_param_grad(const hb_graph *g, int i) { return in_chunk(g, &g->grads, i); }
static hb_tensor param_or_none(const hb_graph *g, int i) { return i >= 0 ? hb_g_param(g, i) : HB_NONE; }
static hb_tensor grad_or_none(const hb_graph *g, int i) { return i >= 0 ? hb_g_param_grad(g, i) : HB_NONE; }

int hb_g_find_param(const hb_graph *g, const char *name) {
    for (int i = 0; i < g->nparams; i++)
        if (strcmp(g->params[i].name, name) == 0) return i;
    return -1;
}

double hb_g_flops(const hb_graph *g, int N) {
    double f = 0;
    for (int i = 1; i < g->nnodes; i++) {
        const hb_g_node *n = &g->nodes[i];
        hb_shape in = g->nodes[n->in0].shape, out = n->shape;
        if (n->kind == HB_G_CONV) f += 2.0 * N * out.h * out.w * in.c * out.c * n->k * n->k;
        if (n->kind == HB_G_LINEAR) f += 2.0 * N * hb_g_size(g, n->in0) * out.c;
    }
    return f;
}

/* 1 when node r is a relu reading a conv that nothing else reads: the conv's forward pass
 * writes the relu's output itself (max(., 0) in its epilogue) and the conv's own value is
 * never computed; the relu's backward passes use the relu's output as their mask. */
static int relu_of_conv(const hb_graph *g, int r) {
    const hb_g_node *n = &g->nodes[r], *c = &g->nodes[n->in0];
    return n->kind == HB_G_RELU && c->kind == HB_G_CONV && c->consumers == 1;
}

/* 1 when node a is a 2x2 average pooling of a conv that nothing else reads and the conv op
 * fuses the pooling: the conv's forward pass writes the pooled value itself, and (when no
 * parameter gradients are wanted, which need the conv's full-resolution gradient) its
 * backward-data pass reads the pooled gradient; the conv's own value and gradient are never
 * computed. */
static int pool_of_conv(const hb_graph *g, int a) {
    const hb_g_node *n = &g->nodes[a], *c = &g->nodes[n->in0];
    if (n->kind != HB_G_AVGPOOL || c->kind != HB_G_CONV || c->consumers != 1) return 0;
    hb_shape in = g->nodes[c->in0].shape;
    return hb_conv2d_avgpool2_fuses(in.c, c->shape.c, in.h, in.w, c->k);
}

/* 1 when node i is a conv whose pooling runs in it (pool_of_conv) */
static int conv_pooled(const hb_graph *g, int i) {
    const hb_g_node *n = &g->nodes[i];
    return n->kind == HB_G_CONV && n->consumers == 1 && pool_of_conv(g, n->consumer);
}

/* 1 when conv i reads a relu of a 3x3 stem conv (1..4 input channels, with bias) that the
 * conv op computes from the stem's input instead of reading it stored: in frozen passes only
 * (hb_g_freeze: Langevin passes, which want no parameter gradients, the one thing that needs
 * the stem's output), with the relu and the stem read by nothing else, where the shape fuses.
 * The stem and its relu then never run; conv i's backward-data pass recomputes the relu's
 * mask. */
static int stem_into_conv(const hb_graph *g, int i) {
    const hb_g_node *n = &g->nodes[i];
    if (!g->frozen || n->kind != HB_G_CONV || n->k != 3) return 0;
    const hb_g_node *r = &g->nodes[n->in0];
    if (!relu_of_conv(g, n->in0) || r->consumers != 1) return 0;
    const hb_g_node *st = &g->nodes[r->in0];
    hb_shape x = g->nodes[st->in0].shape;
    return st->k == 3 && st->bias >= 0 &&
           hb_conv2d_stem_fuses(x.c, r->shape.c, n->shape.c, r->shape.h, r->shape.w,
                                conv_pooled(g, i));
}

/* The stem conv node read (through its relu) by conv i (stem_into_conv) */
static const hb_g_node *stem_node(const hb_graph *g, int i) {
    return &g->nodes[g->nodes[g->nodes[i].in0].in0];
}

/* The stem read by conv i (stem_into_conv) */
static hb_conv2d_stem stem_of(const hb_graph *g, int i, int N) {
    const hb_g_node *st = stem_node(g, i);
    return (hb_conv2d_stem){hb_g_value(g, st->in0, N), hb_g_param(g, st->weight),
                            hb_g_param(g, st->bias), g->nodes[st->in0].shape.c};
}

/* 1 when relu node r is read only by a conv that applies it in its Winograd input transform
 * (hb_conv2d_forward_relu_in), so the relu never runs: in frozen passes only (the conv's
 * weight gradient would need the relu's output), not for a relu a conv writes (relu_of_conv),
 * nor for a conv whose output is pooled or added in its epilogue, where the shape fuses. The
 * conv's backward-data pass masks by the relu's input instead of its output. */
static int relu_into_conv(const hb_graph *g, int r) {
    const hb_g_node *n = &g->nodes[r];
    if (!g->frozen || n->kind != HB_G_RELU || n->consumers != 1 || relu_of_conv(g, r)) return 0;
    int c = n->consumer;
    const hb_g_node *cn = &g->nodes[c];
    if (cn->kind != HB_G_CONV || cn->in0 != r || cn->consumers != 1) return 0;
    const hb_g_node *next = &g->nodes[cn->consumer];
    if (next->kind == HB_G_AVGPOOL || next->kind == HB_G_ADD) return 0;
    return hb_conv2d_relu_in_fuses(n->shape.c, cn->shape.c, n->shape.h, n->shape.w, cn->k);
}

/* 1 when affine node a runs inside the relu reading it (hb_affine_relu): the relu is its only
 * reader, and no conv reads the affine's output in place of the relu (relu_into_conv). The
 * backward passes never read the affine's output: relu's masks by its own output, affine's
 * reads its input. */
static int affine_into_relu(const hb_graph *g, int a) {
    const hb_g_node *n = &g->nodes[a];
    return n->kind == HB_G_AFFINE && n->consumers == 1 &&
           g->nodes[n->consumer].kind == HB_G_RELU && !relu_into_conv(g, n->consumer);
}

/* 1 when relu node r runs inside the global pooling reading it (hb_global_avgpool_relu, and
 * its backward pass masks by the relu's input): the pooling is its only reader and nothing
 * else writes the relu (a conv, relu_of_conv; an affine, affine_into_relu). */
static int relu_into_gap(const hb_graph *g, int r) {
    const hb_g_node *n = &g->nodes[r];
    return n->kind == HB_G_RELU && n->consumers == 1 && g->nodes[n->consumer].kind == HB_G_GAP &&
           !relu_of_conv(g, r) && g->nodes[n->in0].kind != HB_G_AFFINE;
}

/* The shortcut conv of add node a when the first block's stem conv writes the add
 * (hb_conv2d_forward_stem_shortcut): a adds the pooling of a stem-fused conv (pool_of_conv,
 * stem_into_conv) and a 1x1 conv with bias of the 2x2 pooling of the stem's own input, each
 * read by nothing else. That conv, its pooling and the add then never run (the backward
 * passes read none of their outputs); else -1. */
static int stem_shortcut(const hb_graph *g, int a) {
    const hb_g_node *n = &g->nodes[a];
    if (n->kind != HB_G_ADD) return -1;
    for (int k = 0; k < 2; k++) {
        int h = k ? n->in1 : n->in0, s = k ? n->in0 : n->in1;
        const hb_g_node *hn = &g->nodes[h], *sn = &g->nodes[s];
        if (hn->kind != HB_G_AVGPOOL || hn->consumers != 1 || !pool_of_conv(g, h) ||
            !stem_into_conv(g, hn->in0))
            continue;
        const hb_g_node *pn = &g->nodes[sn->in0];
        if (sn->kind == HB_G_CONV && sn->k == 1 && sn->bias >= 0 && sn->consumers == 1 &&
            pn->kind == HB_G_AVGPOOL && pn->consumers == 1 &&
            pn->in0 == stem_node(g, hn->in0)->in0)
            return s;
    }
    return -1;
}

/* The input of add node a that a conv writes with the other input added in its epilogue
 * (hb_conv2d_forward_residual), so the add never runs: the later-computed input (the
 * forward pass runs nodes in order), when it is a conv that nothing else reads and that
 * does not write a relu, a pooling or a stem's output; else -1. */
static int conv_of_add(const hb_graph *g, int a) {
    const hb_g_node *n = &g->nodes[a];
    if (n->kind != HB_G_ADD) return -1;
    int c = n->in0 > n->in1 ? n->in0 : n->in1, other = c == n->in0 ? n->in1 : n->in0;
    const hb_g_node *cn = &g->nodes[c];
    if (cn->kind != HB_G_CONV || cn->consumers != 1 || is_alias(&g->nodes[other]) ||
        stem_into_conv(g, c) || stem_shortcut(g, a) >= 0)
        return -1;
    return c;
}

/* 1 when node i (a conv, or the pooling feeding one) runs inside a stem conv's epilogue
 * (stem_shortcut) */
static int in_stem_shortcut(const hb_graph *g, int i) {
    const hb_g_node *n = &g->nodes[i];
    if (n->consumers != 1) return 0;
    if (n->kind == HB_G_AVGPOOL) return in_stem_shortcut(g, n->consumer);
    return n->kind == HB_G_CONV && stem_shortcut(g, n->consumer) == i;
}

/* conv i's forward pass into y; relu: max(., 0) fused in; pool: 2x2 average pooling fused in.
 * A conv whose add runs in its epilogue (conv_of_add) writes the add's value instead. */
static void conv_forward(hb_graph *g, hb_cmd *cmd, int i, hb_tensor y, int relu, int pool,
                         int N) {
    hb_g_node *n = &g->nodes[i];
    hb_shape in = g->nodes[n->in0].shape;
    hb_tensor x = hb_g_value(g, n->in0, N), w = hb_g_param(g, n->weight),
              b = param_or_none(g, n->bias);
    hb_tensor prep = g->frozen ? n->prep_fwd : HB_NONE;
    if (n->consumers == 1 && conv_of_add(g, n->consumer) == i) {
        const hb_g_node *a = &g->nodes[n->consumer];
        hb_tensor residual = hb_g_value(g, a->in0 == i ? a->in1 : a->in0, N);
        hb_conv2d_forward_residual(cmd, hb_g_value(g, n->consumer, N), x, w, prep, b, residual,
                                   g->workspace, N, in.c, n->shape.c, in.h, in.w, n->k);
    } else if (stem_into_conv(g, i)) {
        hb_conv2d_stem st = stem_of(g, i, N);
        int add = pool ? g->nodes[n->consumer].consumer : -1;
        int sc = add >= 0 ? stem_shortcut(g, add) : -1;
        if (sc >= 0)
            hb_conv2d_forward_stem_shortcut(cmd, hb_g_value(g, add, N), &st, w, prep, b,
                                            hb_g_param(g, g->nodes[sc].weight),
                                            hb_g_param(g, g->nodes[sc].bias), g->workspace, N,
                                            in.c, n->shape.c, in.h, in.w);
        else
            hb_conv2d_forward_stem(cmd, y, &st, w, prep, b, g->workspace, N, in.c, n->shape.c,
                                   in.h, in.w, relu, pool);
    } else if (relu_into_conv(g, n->in0)) {
        hb_conv2d_forward_relu_in(cmd, y, hb_g_value(g, g->nodes[n->in0].in0, N), w, prep, b,
                                  g->workspace, N, in.c, n->shape.c, in.h, in.w, n->k, relu);
    } else if (pool)
        hb_conv2d_forward_avgpool2(cmd, y, x, w, prep, b, g->workspace, N, in.c, n->shape.c,
                                   in.h, in.w, n->k);
    else
        hb_conv2d_forward(cmd, y, x, w, prep, b, g->workspace, N, in.c, n->shape.c, in.h, in.w,
                          n->k, relu);
}

void hb_g_freeze(hb_graph *g, hb_cmd *cmd) {
    for (int i = 1; i < g->nnodes; i++) {
        hb_g_node *n = &g->nodes[i];
        if (n->kind != HB_G_CONV) continue;
        hb_shape in = g->nodes[n->in0].shape;
        hb_tensor w = hb_g_param(g, n->weight);
        /* frozen passes run its pooling in it, backward too (no parameter gradients) */
        int pooled = conv_pooled(g, i);
        for (int bwd = 0; bwd < 2; bwd++) {
            hb_tensor *u = bwd ? &n->prep_bwd : &n->prep_fwd;
            size_t need =
                hb_conv2d_prepared_floats(in.c, n->shape.c, in.h, in.w, n->k, bwd, pooled);
            if (!need) continue;
            if (!u->buf) *u = hb_alloc(g->ctx, need);
            hb_conv2d_prepare(cmd, *u, w, in.c, n->shape.c, in.h, in.w, n->k, bwd, pooled);
        }
    }
    g->frozen = 1;
}

void hb_g_thaw(hb_graph *g) { g->frozen = 0; }

void hb_g_forward(hb_graph *g, hb_cmd *cmd, int N) {
    require_batch(g, N);
    for (int i = 1; i < g->nnodes; i++) {
        hb_g_node *n = &g->nodes[i];
        if (is_alias(n)) continue;
        hb_shape in = g->nodes[n->in0].shape, out = n->shape;
        hb_tensor y = hb_g_value(g, i, N), x = hb_g_value(g, n->in0, N);
        switch (n->kind) {
        case HB_G_CONV: /* unless its relu or pooling runs it (relu_of_conv, pool_of_conv), or a
                         * stem conv does (in_stem_shortcut) */
            if (!(n->consumers == 1 &&
                  (relu_of_conv(g, n->consumer) || pool_of_conv(g, n->consumer))) &&
                !in_stem_shortcut(g, i))
                conv_forward(g, cmd, i, y, 0, 0, N);
            break;
        case HB_G_LINEAR:
            hb_linear_forward(cmd, y, x, hb_g_param(g, n->weight), param_or_none(g, n->bias), N,
                              (int)hb_g_size(g, n->in0), out.c);
            break;
        case HB_G_RELU: /* a stem's relu, a relu_into_conv and a relu_into_gap run in the op
                         * reading them */
            if (n->consumers == 1 && stem_into_conv(g, n->consumer)) break;
            if (relu_into_conv(g, i) || relu_into_gap(g, i)) break;
            if (relu_of_conv(g, i)) conv_forward(g, cmd, n->in0, y, 1, 0, N);
            else if (affine_into_relu(g, n->in0)) {
                const hb_g_node *a = &g->nodes[n->in0];
                hb_affine_relu(cmd, y, hb_g_value(g, a->in0, N), hb_g_param(g, a->weight),
                               hb_g_param(g, a->bias), N, in.c, in.h * in.w);
            } else
                hb_relu(cmd, y, x);
            break;
        case HB_G_AVGPOOL:
            if (pool_of_conv(g, i)) conv_forward(g, cmd, n->in0, y, 0, 1, N);
            else if (!in_stem_shortcut(g, i)) hb_avgpool2(cmd, y, x, N, in.c, in.h, in.w);
            break;
        case HB_G_UPSAMPLE: hb_upsample2_bilinear(cmd, y, x, N, in.c, in.h, in.w); break;
        case HB_G_AFFINE: /* unless its relu runs it (affine_into_relu) */
            if (!affine_into_relu(g, i))
                hb_affine(cmd, y, x, hb_g_param(g, n->weight), hb_g_param(g, n->bias), N, in.c,
                          in.h * in.w);
            break;
        case HB_G_TANH: hb_tanh(cmd, y, x, n->scale); break;
        case HB_G_GAP:
            if (relu_into_gap(g, n->in0))
                hb_global_avgpool_relu(cmd, y, hb_g_value(g, g->nodes[n->in0].in0, N), N, in.c,
                                       in.h * in.w);
            else
                hb_global_avgpool(cmd, y, x, N, in.c, in.h * in.w);
            break;
        case HB_G_ADD: /* unless a conv adds it (conv_of_add, stem_shortcut) */
            if (conv_of_add(g, i) < 0 && stem_shortcut(g, i) < 0)
                hb_add(cmd, y, x, hb_g_value(g, n->in1, N));
            break;
        case HB_G_SPHERE:
            hb_sphere(cmd, y, x, g->workspace, N, (int)hb_g_size(g, i));
            break;
        default: hb_die(1, "%s: node %d cannot run forward", g->name, i);
        }
    }
}

/* 1 when node i is a conv reading a relu that nothing else reads: its backward-data pass
 * then writes the relu's input gradient itself, masked by the relu's output (the relu's
 * backward pass fused in). */
static int conv_through_relu(const hb_graph *g, int i) {
    const hb_g_node *n = &g->nodes[i], *r = &g->nodes[n->in0];
    return n->kind == HB_G_CONV && r->kind == HB_G_RELU && r->consumers == 1;
}

/* The conv whose backward-data pass adds add node a's gradient into a's input x (the residual
 * of hb_conv2d_backward_data_residual) instead of a copy of its own: x is read by a and by a
 * relu that only conv c reads (conv_through_relu), as a ResNet block's input is by its
 * identity shortcut and its first conv; else -1. The backward pass runs nodes in reverse, so
 * a's turn comes before c's, and nothing else reaches x's gradient. */
static int identity_via_conv(const hb_graph *g, int a, int x) {
    const hb_g_node *xn = &g->nodes[x];
    if (g->nodes[a].kind != HB_G_ADD || xn->consumers != 2 || xn->shares_grad || is_alias(xn))
        return -1;
    for (int r = x + 1; r < a; r++) {
        const hb_g_node *rn = &g->nodes[r];
        if (rn->kind != HB_G_RELU || rn->in0 != x || rn->consumers != 1) continue;
        int c = rn->consumer;
        if (c < a && conv_through_relu(g, c) && !stem_into_conv(g, c) && !conv_pooled(g, c))
            return c;
    }
    return -1;
}

/* Gradient of node i's output (gy) into its input `src` (shape as node i sees it): into the
 * gradient directly when the op can accumulate (or this is the first gradient), else
 * through g->temp. A conv through a relu (conv_through_relu) is given the relu's input as
 * src; a conv under a fused pooling (pooled) reads the pooling's gradient; residual (a conv,
 * identity_via_conv): an add's gradient, added. */
static void backward_data(hb_graph *g, hb_cmd *cmd, int i, int src, int acc, int pooled,
                          hb_tensor residual, int N) {
    hb_g_node *n = &g->nodes[i];
    hb_shape in = g->nodes[src].shape, out = n->shape;
    hb_tensor gy = hb_g_grad(g, pooled ? n->consumer : i, N), gin = hb_g_grad(g, src, N);
    int via_temp = acc && !backward_accumulates(n->kind);
    hb_tensor dst = via_temp ? hb_slice(g->temp, 0, gin.n) : gin;
    /* the relu's output, or its input when the relu never ran (relu_into_conv) */
    hb_tensor mask = HB_NONE;
    if (n->kind == HB_G_CONV && conv_through_relu(g, i))
        mask = hb_g_value(g, relu_into_conv(g, n->in0) ? g->nodes[n->in0].in0 : n->in0, N);
    hb_tensor prep = g->frozen ? n->prep_bwd : HB_NONE;
    switch (n->kind) {
    case HB_G_CONV:
        if (stem_into_conv(g, i)) {
            hb_conv2d_stem st = stem_of(g, i, N);
            hb_conv2d_backward_data_stem(cmd, gin, gy, hb_g_param(g, n->weight), prep, &st,
                                         g->workspace, N, in.c, out.c, in.h, in.w, acc, pooled);
        } else if (pooled)
            hb_conv2d_backward_data_avgpool2(cmd, gin, gy, hb_g_param(g, n->weight), prep, mask,
                                             g->workspace, N, in.c, out.c, in.h, in.w, n->k, acc);
        else if (residual.buf)
            hb_conv2d_backward_data_residual(cmd, gin, gy, hb_g_param(g, n->weight), prep, mask,
                                             residual, g->workspace, N, in.c, out.c, in.h, in.w,
                                             n->k);
        else
            hb_conv2d_backward_data(cmd, gin, gy, hb_g_param(g, n->weight), prep, mask,
                                    g->workspace, N, in.c, out.c, in.h, in.w, n->k, acc);
        break;
    case HB_G_LINEAR:
        hb_linear_backward_data(cmd, gin, gy, hb_g_param(g, n->weight), N,
                                (int)hb_g_size(g, src), out.c, acc);
        break;
    case HB_G_RELU: hb_relu_backward(cmd, gin, gy, hb_g_value(g, i, N), acc); break;
    case HB_G_AVGPOOL: hb_avgpool2_backward(cmd, gin, gy, N, in.c, in.h, in.w, acc); break;
    case HB_G_UPSAMPLE: hb_upsample2_bilinear_backward(cmd, dst, gy, N, in.c, in.h, in.w); break;
    case HB_G_AFFINE:
        hb_affine_backward(cmd, gin, gy, hb_g_param(g, n->weight), N, in.c, in.h * in.w, acc);
        break;
    case HB_G_TANH: hb_tanh_backward(cmd, dst, gy, hb_g_value(g, i, N), n->scale); break;
    case HB_G_GAP:
        if (relu_into_gap(g, n->in0))
            hb_global_avgpool_relu_backward(cmd, dst, gy, hb_g_value(g, src, N), N, in.c,
                                            in.h * in.w);
        else
            hb_global_avgpool_backward(cmd, dst, gy, N, in.c, in.h * in.w);
        break;
    case HB_G_ADD:
        if (!g->nodes[src].shares_grad) hb_axpby(cmd, gin, gy, 1.0f, acc ? 1.0f : 0.0f);
        break;
    case HB_G_SPHERE:
        hb_sphere_backward(cmd, dst, gy, hb_g_value(g, src, N), g->workspace, N,
                           (int)hb_g_size(g, src));
        break;
    default: hb_die(1, "%s: node %d has no backward", g->name, i);
    }
    if (via_temp) hb_axpby(cmd, gin, dst, 1.0f, 1.0f);
}

static void backward_params(hb_graph *g, hb_cmd *cmd, int i, int N) {
    hb_g_node *n = &g->nodes[i];
    if (n->weight < 0) return;
    hb_shape in = g->nodes[n->in0].shape, out = n->shape;
    hb_tensor gy = hb_g_grad(g, i, N), x = hb_g_value(g, n->in0, N);
    switch (n->kind) {
    case HB_G_CONV:
        hb_conv2d_backward_weight(cmd, hb_g_param_grad(g, n->weight), grad_or_none(g, n->bias), x,
                                  gy, g->workspace, N, in.c, out.c, in.h, in.w, n->k);
        break;
    case HB_G_LINEAR:
        hb_linear_backward_weight(cmd, hb_g_param_grad(g, n->weight), grad_or_none(g, n->bias), x,
                                  gy, N, (int)hb_g_size(g, n->in0), out.c);
        break;
    case HB_G_AFFINE:
        hb_affine_backward_params(cmd, hb_g_param_grad(g, n->weight), hb_g_param_grad(g, n->bias),
                                  gy, x, N, in.c, in.h * in.w);
        break;
    default: break;
    }
}

void hb_g_backward(hb_graph *g, hb_cmd *cmd, int N, int want_param_grads, int want_input_grad) {
    require_batch(g, N);
    if (g->frozen && want_param_grads)
        hb_die(1, "%s: parameter gradients of a frozen graph (hb_g_thaw first)", g->name);
    char *written = calloc((size_t)g->nnodes, 1);
    written[root(g, g->output)] = 1;
    /* identity_via_conv: the add whose gradient a node's gradient still has to get */
    int *pending = malloc((size_t)g->nnodes * sizeof *pending);
    for (int i = 0; i < g->nnodes; i++) pending[i] = -1;
    for (int i = g->nnodes - 1; i > 0; i--) {
        hb_g_node *n = &g->nodes[i];
        if (is_alias(n) || !written[i]) continue;
        /* the pooling's backward pass runs in its conv's (pool_of_conv) */
        if (!want_param_grads && pool_of_conv(g, i)) {
            written[n->in0] = 1;
            continue;
        }
        int pooled = !want_param_grads && conv_pooled(g, i);
        int srcs[2] = {n->in0, n->in1};
        /* the relu is skipped */
        if (conv_through_relu(g, i) || (n->kind == HB_G_GAP && relu_into_gap(g, n->in0)))
            srcs[0] = g->nodes[n->in0].in0;
        for (int s = 0; s < 2; s++) {
            if (srcs[s] < 0) continue;
            int src = root(g, srcs[s]); /* a reshape shares its input's gradient */
            if (src == 0 && !want_input_grad) continue;
            if (!written[src] && identity_via_conv(g, i, src) >= 0) {
                pending[src] = i; /* its conv adds it */
                continue;
            }
            hb_tensor residual = HB_NONE;
            if (pending[src] >= 0 && !written[src] && g->nodes[i].kind == HB_G_CONV) {
                residual = hb_g_grad(g, pending[src], N);
                pending[src] = -1;
            }
            backward_data(g, cmd, i, srcs[s], written[src], pooled, residual, N);
            written[src] = 1;
        }
        if (want_param_grads) backward_params(g, cmd, i, N);
    }
    for (int x = 0; x < g->nnodes; x++) /* a gradient no conv took (none in these networks) */
        if (pending[x] >= 0)
            hb_axpby(cmd, hb_g_grad(g, x, N), hb_g_grad(g, pending[x], N), 1.0f,
                     written[x] ? 1.0f : 0.0f);
    free(written);
    free(pending);
}


void hb_g_add_tensors(const hb_graph *g, hb_st_writer *w, const char *prefix, const float *flat) {
    char name[160];
    for (int i = 0; i < g->nparams; i++) {
        const hb_g_param_info *p = &g->params[i];
        snprintf(name, sizeof name, "%s%s", prefix, p->name);
        hb_st_add(w, name, p->ndim, p->shape, flat + p->off);
    }
}

int hb_g_load_into(hb_graph *g, const hb_st_file *f, const char *prefix, const hb_g_flat *dst,
                   char *err, size_t errlen) {
    char name[160];
    size_t plen = strlen(prefix);
    for (int t = 0; t < f->count; t++) { /* strict, like load_state_dict(strict=True) */
        const char *tn = f->t[t].name;
        if (strncmp(tn, prefix, plen) == 0 && hb_g_find_param(g, tn + plen) < 0) {
            snprintf(err, errlen, "%s: tensor '%s' is not a parameter of this %s network "
                     "(different architecture or width?)", f->path, tn, g->name);
            return -1;
        }
    }
    float *flat = calloc(g->nparam_floats ? g->nparam_floats : 1, sizeof *flat);
    for (int i = 0; i < g->nparams; i++) {
        const hb_g_param_info *p = &g->params[i];
        snprintf(name, sizeof name, "%s%s", prefix, p->name);
        if (hb_st_expect(f, name, p->ndim, p->shape, err, errlen) != 0) {
            free(flat);
            return -1;
        }
        memcpy(flat + p->off, hb_st_find(f, name)->data, (size_t)p->n * sizeof *flat);
    }
    hb_g_upload_flat(g, dst, flat);
    free(flat);
    return 0;
}

int hb_g_load_params(hb_graph *g, const hb_st_file *f, const char *prefix, char *err,
                     size_t errlen) {
    return hb_g_load_into(g, f, prefix, &g->weights, err, errlen);
}
