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
    for (int k = 0; k < HB_PLAN_KINDS; k++) free(g->plan[k]);
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
    float fan_in = (float)s.c * k * k, fan_out = (float)cout * k * k;
    g->nodes[v].weight = add_param(g, name, "weight", 4, ws, HB_INIT_WEIGHT, fan_in, fan_out);
    if (bias) g->nodes[v].bias = add_param(g, name, "bias", 1, bs, HB_INIT_BIAS, fan_in, fan_out);
    return v;
}

int hb_g_linear(hb_graph *g, int x, const char *name, int out, int bias) {
    int in = (int)hb_g_size(g, x);
    int v = add_node(g, HB_G_LINEAR, x, -1, (hb_shape){out, 1, 1});
    int64_t ws[2] = {out, in}, bs[1] = {out};
    float fan_in = (float)in, fan_out = (float)out;
    g->nodes[v].weight = add_param(g, name, "weight", 2, ws, HB_INIT_WEIGHT, fan_in, fan_out);
    if (bias) g->nodes[v].bias = add_param(g, name, "bias", 1, bs, HB_INIT_BIAS, fan_in, fan_out);
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

hb_conv2d_desc hb_g_conv_desc(const hb_graph *g, int c, int N) {
    const hb_g_node *n = &g->nodes[c];
    hb_shape in = g->nodes[n->in0].shape;
    return (hb_conv2d_desc){.N = N, .cin = in.c, .cout = n->shape.c, .H = in.h, .W = in.w,
                            .k = n->k};
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
        size_t need = 0;
        if (n->kind == HB_G_CONV) {
            hb_conv2d_desc d = hb_g_conv_desc(g, i, max_batch);
            need = hb_conv2d_workspace(g->ctx, &d, HB_CONV2D_ALL_PASSES);
        }
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

/* Counts each value's consumers (and notes the last), which the fusion plan reads. A value
 * that feeds nothing but one add takes the add's gradient tensor as its own, since the add
 * passes its gradient through unchanged; its backward pass copies nothing. */
static void count_consumers(hb_graph *g) {
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
    count_consumers(g);
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
    count_consumers(g);
    const char *print = getenv("HATEBM_PLAN");
    for (int k = 0; k < HB_PLAN_KINDS; k++) {
        g->plan[k] = hb_fusion_plan_make(g, (hb_plan_kind)k);
        if (print && strcmp(print, "1") == 0)
            hb_fusion_plan_print(stderr, g, g->plan[k], (hb_plan_kind)k);
    }
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

/* The half-width of p's uniform init under scheme s; 0: a constant (1 for gamma, else 0). */
static float init_limit(const hb_g_param_info *p, hb_g_init_scheme s) {
    if (s == HB_G_INIT_TORCH && (p->init == HB_INIT_WEIGHT || p->init == HB_INIT_BIAS))
        return 1.0f / sqrtf(p->fan_in); /* kaiming_uniform(a=sqrt(5)): sqrt(1/3) sqrt(3/fan_in) */
    return p->init == HB_INIT_WEIGHT ? sqrtf(6.0f / (p->fan_in + p->fan_out)) : 0;
}

void hb_g_init_params(hb_graph *g, uint64_t seed) {
    float *flat = calloc(g->nparam_floats ? g->nparam_floats : 1, sizeof *flat);
    uint64_t state = seed;
    for (int i = 0; i < g->nparams; i++) {
        hb_g_param_info *p = &g->params[i];
        float limit = init_limit(p, g->init), constant = p->init == HB_INIT_ONE ? 1.0f : 0.0f;
        for (uint32_t j = 0; j < p->n; j++) {
            float u = (float)((splitmix(&state) >> 40) * 0x1p-24); /* [0, 1) */
            flat[p->off + j] = limit > 0 ? (2 * u - 1) * limit : constant;
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

/* The plan of the passes recorded now */
static const hb_fusion_role *plan_now(const hb_graph *g) {
    return g->plan[g->frozen ? HB_PLAN_FROZEN : HB_PLAN_TRAIN];
}

/* The relu'd stem conv `st` that a conv computes in its prologue (or recomputes as a mask) */
static hb_conv2d_stem stem_of(const hb_graph *g, int st, int N) {
    const hb_g_node *s = &g->nodes[st];
    return (hb_conv2d_stem){hb_g_value(g, s->in0, N), hb_g_param(g, s->weight),
                            hb_g_param(g, s->bias), g->nodes[s->in0].shape.c};
}

/* The conv op of role p (at node i's turn) over N samples, with its fusions */
static void conv_forward(hb_graph *g, hb_cmd *cmd, const hb_fusion_role *p, int N) {
    const hb_g_node *n = &g->nodes[p->op];
    hb_conv2d_desc d = hb_g_conv_desc(g, p->op, N);
    d.relu = p->relu;
    d.pool = p->pool;
    hb_tensor in = hb_g_value(g, n->in0, N);
    if (p->residual >= 0) d.residual = hb_g_value(g, p->residual, N);
    if (p->prologue >= 0 && g->nodes[p->prologue].kind == HB_G_CONV)
        d.stem = stem_of(g, p->prologue, N);
    else if (p->prologue >= 0) { /* a relu applied in the input transform: its input is read */
        d.relu_in = 1;
        in = hb_g_value(g, g->nodes[p->prologue].in0, N);
    }
    if (p->shortcut >= 0) {
        d.shortcut_w = hb_g_param(g, g->nodes[p->shortcut].weight);
        d.shortcut_b = hb_g_param(g, g->nodes[p->shortcut].bias);
    }
    hb_conv2d_forward(cmd, &d, hb_g_value(g, p->writes, N), in, hb_g_param(g, n->weight),
                      param_or_none(g, n->bias), g->frozen ? n->prep_fwd : HB_NONE,
                      g->workspace);
}

void hb_g_freeze(hb_graph *g, hb_cmd *cmd) {
    const hb_fusion_role *plan = g->plan[HB_PLAN_FROZEN];
    for (int i = 1; i < g->nnodes; i++) {
        hb_g_node *n = &g->nodes[i];
        if (n->kind != HB_G_CONV) continue;
        hb_conv2d_desc d = hb_g_conv_desc(g, i, 1);
        d.pool = plan[i].grad_from != i; /* frozen passes run its pooling in it, both ways */
        hb_tensor w = hb_g_param(g, n->weight);
        hb_conv2d_prepare(cmd, &d, HB_CONV2D_FORWARD, w, &n->prep_fwd);
        hb_conv2d_prepare(cmd, &d, HB_CONV2D_BACKWARD_DATA, w, &n->prep_bwd);
    }
    g->frozen = 1;
}

void hb_g_thaw(hb_graph *g) { g->frozen = 0; }

/* The op of node i's turn (p->op is i: the node's own, with p's prologue) */
static void forward_op(hb_graph *g, hb_cmd *cmd, int i, const hb_fusion_role *p, int N) {
    hb_g_node *n = &g->nodes[i];
    hb_shape in = g->nodes[n->in0].shape, out = n->shape;
    hb_tensor y = hb_g_value(g, i, N), x = hb_g_value(g, n->in0, N);
    /* the prologue's input, read in place of its output */
    hb_tensor px = p->prologue >= 0 ? hb_g_value(g, g->nodes[p->prologue].in0, N) : x;
    switch (n->kind) {
    case HB_G_LINEAR:
        hb_linear_forward(cmd, y, x, hb_g_param(g, n->weight), param_or_none(g, n->bias), N,
                          (int)hb_g_size(g, n->in0), out.c);
        break;
    case HB_G_RELU:
        if (p->prologue >= 0) {
            const hb_g_node *a = &g->nodes[p->prologue];
            hb_affine_relu(cmd, y, px, hb_g_param(g, a->weight), hb_g_param(g, a->bias), N,
                           in.c, in.h * in.w);
        } else
            hb_relu(cmd, y, x);
        break;
    case HB_G_AVGPOOL: hb_avgpool2(cmd, y, x, N, in.c, in.h, in.w); break;
    case HB_G_UPSAMPLE: hb_upsample2_bilinear(cmd, y, x, N, in.c, in.h, in.w); break;
    case HB_G_AFFINE:
        hb_affine(cmd, y, x, hb_g_param(g, n->weight), hb_g_param(g, n->bias), N, in.c,
                  in.h * in.w);
        break;
    case HB_G_TANH: hb_tanh(cmd, y, x, n->scale); break;
    case HB_G_GAP:
        if (p->prologue >= 0) hb_global_avgpool_relu(cmd, y, px, N, in.c, in.h * in.w);
        else hb_global_avgpool(cmd, y, x, N, in.c, in.h * in.w);
        break;
    case HB_G_ADD: hb_add(cmd, y, x, hb_g_value(g, n->in1, N)); break;
    case HB_G_SPHERE: hb_sphere(cmd, y, x, g->workspace, N, (int)hb_g_size(g, i)); break;
    default: hb_die(1, "%s: node %d cannot run forward", g->name, i);
    }
}

void hb_g_forward(hb_graph *g, hb_cmd *cmd, int N) {
    require_batch(g, N);
    const hb_fusion_role *plan = plan_now(g);
    for (int i = 1; i < g->nnodes; i++) {
        const hb_fusion_role *p = &plan[i];
        if (p->op < 0) continue;
        if (g->nodes[p->op].kind == HB_G_CONV) conv_forward(g, cmd, p, N);
        else forward_op(g, cmd, i, p, N);
    }
}

/* Conv i's backward-data pass into gin (accumulating when acc), with the fusions of its role:
 * the relu it reads (masked), its pooling's gradient, a stem's mask, an add's gradient */
static void conv_backward_data(hb_graph *g, hb_cmd *cmd, int i, const hb_fusion_role *p,
                               hb_tensor gin, int acc, hb_tensor residual, int N) {
    hb_conv2d_desc d = hb_g_conv_desc(g, i, N);
    d.accumulate = acc;
    d.pool = p->grad_from != i;
    d.residual = residual;
    if (p->stem >= 0) d.stem = stem_of(g, p->stem, N);
    else if (p->mask >= 0) d.relu_mask = hb_g_value(g, p->mask_value, N);
    hb_conv2d_backward_data(cmd, &d, gin, hb_g_grad(g, p->grad_from, N),
                            hb_g_param(g, g->nodes[i].weight),
                            g->frozen ? g->nodes[i].prep_bwd : HB_NONE, g->workspace);
}

/* Gradient of node i's output into its input `src` (shape as node i sees it; the relu's
 * input where its backward pass is folded into node i's): into the gradient directly when
 * the op can accumulate (or this is the first gradient), else through g->temp. residual (a
 * conv, identity_add): an add's gradient, added. */
static void backward_data(hb_graph *g, hb_cmd *cmd, int i, const hb_fusion_role *p, int src,
                          int acc, hb_tensor residual, int N) {
    hb_g_node *n = &g->nodes[i];
    hb_shape in = g->nodes[src].shape, out = n->shape;
    hb_tensor gy = hb_g_grad(g, i, N), gin = hb_g_grad(g, src, N);
    int via_temp = acc && !backward_accumulates(n->kind);
    hb_tensor dst = via_temp ? hb_slice(g->temp, 0, gin.n) : gin;
    switch (n->kind) {
    case HB_G_CONV: conv_backward_data(g, cmd, i, p, gin, acc, residual, N); break;
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
        if (p->mask >= 0)
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
    case HB_G_CONV: {
        hb_conv2d_desc d = hb_g_conv_desc(g, i, N);
        hb_conv2d_backward_weight(cmd, &d, hb_g_param_grad(g, n->weight),
                                  grad_or_none(g, n->bias), x, gy, g->workspace);
        break;
    }
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
    const hb_fusion_role *plan = plan_now(g);
    char *written = calloc((size_t)g->nnodes, 1);
    written[root(g, g->output)] = 1;
    /* identity_add: the add whose gradient a node's gradient still has to get */
    int *pending = malloc((size_t)g->nnodes * sizeof *pending);
    for (int i = 0; i < g->nnodes; i++) pending[i] = -1;
    for (int i = g->nnodes - 1; i > 0; i--) {
        hb_g_node *n = &g->nodes[i];
        const hb_fusion_role *p = &plan[i];
        if (is_alias(n) || !written[i]) continue;
        if (p->bwd_folded_into >= 0 && n->kind == HB_G_AVGPOOL) { /* in its conv's pass */
            written[n->in0] = 1;
            continue;
        }
        int srcs[2] = {n->in0, n->in1};
        if (p->mask >= 0) srcs[0] = g->nodes[p->mask].in0; /* the relu is skipped */
        for (int s = 0; s < 2; s++) {
            if (srcs[s] < 0) continue;
            int src = root(g, srcs[s]); /* a reshape shares its input's gradient */
            if (src == 0 && !want_input_grad) continue;
            if (!written[src] && p->identity_src == src) {
                pending[src] = i; /* its conv adds it */
                continue;
            }
            hb_tensor residual = HB_NONE;
            if (pending[src] >= 0 && !written[src] && p->identity_add == pending[src]) {
                residual = hb_g_grad(g, pending[src], N);
                pending[src] = -1;
            }
            backward_data(g, cmd, i, p, srcs[s], written[src], residual, N);
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
