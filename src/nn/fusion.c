/* The fusion plan (fusion.h): the rules that fold ops into their neighbours, applied once per
 * kind of pass. Each rule is a predicate on the graph's structure (what reads what, and how
 * often: hb_g_finalize counts the consumers) and on what the conv op supports for the shape. */
#include "nn/fusion.h"

#include <stdlib.h>

#include "nn/graph.h"

typedef struct {
    const hb_graph *g;
    int frozen;
} rules;

static const hb_g_node *node(const rules *r, int i) { return &r->g->nodes[i]; }

/* The value whose tensors a node uses (a reshape uses its input's) */
static int root(const rules *r, int v) {
    while (node(r, v)->kind == HB_G_RESHAPE) v = node(r, v)->in0;
    return v;
}

/* 1 when node i is a relu reading a conv that nothing else reads: the conv's forward pass
 * writes the relu's output itself (max(., 0) in its epilogue) and the conv's own value is
 * never computed; the relu's backward passes use the relu's output as their mask. */
static int relu_of_conv(const rules *r, int i) {
    const hb_g_node *n = node(r, i), *c = node(r, n->in0);
    return n->kind == HB_G_RELU && c->kind == HB_G_CONV && c->consumers == 1;
}

/* 1 when node i is a 2x2 average pooling of a conv that nothing else reads and the conv op
 * fuses the pooling: the conv's forward pass writes the pooled value itself and, in frozen
 * passes (no parameter gradients, which need the conv's full-resolution gradient), its
 * backward-data pass reads the pooled gradient; the conv's own value and gradient are never
 * computed. */
static int pool_of_conv(const rules *r, int i) {
    const hb_g_node *n = node(r, i), *c = node(r, n->in0);
    if (n->kind != HB_G_AVGPOOL || c->kind != HB_G_CONV || c->consumers != 1) return 0;
    hb_conv2d_desc d = hb_g_conv_desc(r->g, n->in0, 1);
    d.pool = 1;
    return hb_conv2d_supports(&d, HB_CONV2D_FORWARD) &&
           hb_conv2d_supports(&d, HB_CONV2D_BACKWARD_DATA);
}

/* 1 when node i is a conv whose pooling runs in it (pool_of_conv) */
static int conv_pooled(const rules *r, int i) {
    const hb_g_node *n = node(r, i);
    return n->kind == HB_G_CONV && n->consumers == 1 && pool_of_conv(r, n->consumer);
}

/* 1 when conv i reads a relu of a 3x3 stem conv (1..4 input channels, with bias) that the
 * conv op computes from the stem's input instead of reading it stored: in frozen passes only
 * (the one thing that needs the stem's output is its parameter gradient), with the relu and
 * the stem read by nothing else, where the shape fuses. The stem and its relu then never
 * run; conv i's backward-data pass recomputes the relu's mask. */
static int stem_into_conv(const rules *r, int i) {
    const hb_g_node *n = node(r, i);
    if (!r->frozen || n->kind != HB_G_CONV || n->k != 3) return 0;
    const hb_g_node *relu = node(r, n->in0);
    if (!relu_of_conv(r, n->in0) || relu->consumers != 1) return 0;
    const hb_g_node *st = node(r, relu->in0);
    hb_conv2d_desc d = hb_g_conv_desc(r->g, i, 1);
    d.pool = conv_pooled(r, i);
    /* stand-in stem tensors: the question is about shapes */
    d.stem = (hb_conv2d_stem){.x = {.buf = (void *)1}, .cin = node(r, st->in0)->shape.c};
    return st->k == 3 && st->bias >= 0 && hb_conv2d_supports(&d, HB_CONV2D_FORWARD) &&
           hb_conv2d_supports(&d, HB_CONV2D_BACKWARD_DATA);
}

/* The stem conv node read (through its relu) by conv i (stem_into_conv) */
static int stem_node(const rules *r, int i) { return node(r, node(r, i)->in0)->in0; }

/* 1 when relu node i is read only by a conv that applies it in its Winograd input transform,
 * so the relu never runs: in frozen passes only (the conv's weight gradient would need the
 * relu's output), not for a relu a conv writes (relu_of_conv), nor for a conv whose output is
 * pooled or added in its epilogue, where the shape fuses. The conv's backward-data pass masks
 * by the relu's input instead of its output. */
static int relu_into_conv(const rules *r, int i) {
    const hb_g_node *n = node(r, i);
    if (!r->frozen || n->kind != HB_G_RELU || n->consumers != 1 || relu_of_conv(r, i)) return 0;
    int c = n->consumer;
    const hb_g_node *cn = node(r, c);
    if (cn->kind != HB_G_CONV || cn->in0 != i || cn->consumers != 1) return 0;
    const hb_g_node *next = node(r, cn->consumer);
    if (next->kind == HB_G_AVGPOOL || next->kind == HB_G_ADD) return 0;
    hb_conv2d_desc d = hb_g_conv_desc(r->g, c, 1);
    d.relu_in = 1;
    return hb_conv2d_supports(&d, HB_CONV2D_FORWARD);
}

/* 1 when affine node i runs inside the relu reading it (a batch norm and its relu in one
 * pass): the relu is its only reader, and no conv reads the affine's output in place of the
 * relu (relu_into_conv). The backward passes never read the affine's output: relu's masks by
 * its own output, affine's reads its input. */
static int affine_into_relu(const rules *r, int i) {
    const hb_g_node *n = node(r, i);
    return n->kind == HB_G_AFFINE && n->consumers == 1 &&
           node(r, n->consumer)->kind == HB_G_RELU && !relu_into_conv(r, n->consumer);
}

/* 1 when relu node i runs inside the global pooling reading it (and the pooling's backward
 * pass masks by the relu's input): the pooling is its only reader and nothing else writes
 * the relu (a conv, relu_of_conv; an affine, affine_into_relu). */
static int relu_into_gap(const rules *r, int i) {
    const hb_g_node *n = node(r, i);
    return n->kind == HB_G_RELU && n->consumers == 1 &&
           node(r, n->consumer)->kind == HB_G_GAP && !relu_of_conv(r, i) &&
           node(r, n->in0)->kind != HB_G_AFFINE;
}

/* The shortcut conv of add node a when the first block's stem-fused conv writes the add: a
 * adds the pooling of a stem-fused conv (pool_of_conv, stem_into_conv) and a 1x1 conv with
 * bias of the 2x2 pooling of the stem's own input, each read by nothing else. That conv, its
 * pooling and the add then never run (the backward passes read none of their outputs); else
 * -1. *pool: the pooling of the stem-fused conv, whose turn runs it all. */
static int stem_shortcut(const rules *r, int a, int *pool) {
    const hb_g_node *n = node(r, a);
    if (n->kind != HB_G_ADD) return -1;
    for (int k = 0; k < 2; k++) {
        int h = k ? n->in1 : n->in0, s = k ? n->in0 : n->in1;
        const hb_g_node *hn = node(r, h), *sn = node(r, s);
        if (hn->kind != HB_G_AVGPOOL || hn->consumers != 1 || !pool_of_conv(r, h) ||
            !stem_into_conv(r, hn->in0))
            continue;
        const hb_g_node *pn = node(r, sn->in0);
        if (sn->kind == HB_G_CONV && sn->k == 1 && sn->bias >= 0 && sn->consumers == 1 &&
            pn->kind == HB_G_AVGPOOL && pn->consumers == 1 &&
            pn->in0 == node(r, stem_node(r, hn->in0))->in0) {
            if (pool) *pool = h;
            return s;
        }
    }
    return -1;
}

/* The input of add node a that a conv writes with the other input added in its epilogue, so
 * the add never runs: the later-computed input (the forward pass runs nodes in order), when
 * it is a conv that nothing else reads and that does not write a relu, a pooling or a stem's
 * output; else -1. */
static int conv_of_add(const rules *r, int a) {
    const hb_g_node *n = node(r, a);
    if (n->kind != HB_G_ADD) return -1;
    int c = n->in0 > n->in1 ? n->in0 : n->in1, other = c == n->in0 ? n->in1 : n->in0;
    const hb_g_node *cn = node(r, c);
    if (cn->kind != HB_G_CONV || cn->consumers != 1 || node(r, other)->kind == HB_G_RESHAPE ||
        stem_into_conv(r, c) || stem_shortcut(r, a, NULL) >= 0)
        return -1;
    return c;
}

/* 1 when node i is a conv reading a relu that nothing else reads: its backward-data pass
 * then writes the relu's input gradient itself, masked (the relu's backward pass fused in). */
static int conv_through_relu(const rules *r, int i) {
    const hb_g_node *n = node(r, i), *relu = node(r, n->in0);
    return n->kind == HB_G_CONV && relu->kind == HB_G_RELU && relu->consumers == 1;
}

/* The conv whose backward-data pass adds add node a's gradient into a's input x instead of a
 * copy of its own: x is read by a and by a relu that only conv c reads (conv_through_relu),
 * as a ResNet block's input is by its identity shortcut and its first conv; else -1. The
 * backward pass runs nodes in reverse, so a's turn comes before c's, and nothing else reaches
 * x's gradient. */
static int identity_via_conv(const rules *r, int a, int x) {
    const hb_g_node *xn = node(r, x);
    if (node(r, a)->kind != HB_G_ADD || xn->consumers != 2 || xn->shares_grad ||
        xn->kind == HB_G_RESHAPE)
        return -1;
    for (int i = x + 1; i < a; i++) {
        const hb_g_node *rn = node(r, i);
        if (rn->kind != HB_G_RELU || rn->in0 != x || rn->consumers != 1) continue;
        int c = rn->consumer;
        if (c < a && conv_through_relu(r, c) && !stem_into_conv(r, c) && !conv_pooled(r, c))
            return c;
    }
    return -1;
}

/* Conv c's op at the turn of node `at` (c itself, its relu, or its pooling): its prologue,
 * and the epilogue that writes an add (a residual, or the stem's shortcut). */
static void plan_conv(const rules *r, hb_fusion_role *p, int at, int c) {
    const hb_g_node *n = node(r, c);
    hb_fusion_role *role = &p[at];
    role->op = c;
    role->relu = at != c && node(r, at)->kind == HB_G_RELU;
    role->pool = at != c && node(r, at)->kind == HB_G_AVGPOOL;
    if (n->consumers == 1 && conv_of_add(r, n->consumer) == c) {
        const hb_g_node *a = node(r, n->consumer);
        role->residual = a->in0 == c ? a->in1 : a->in0;
        role->writes = n->consumer;
        p[n->consumer].folded_into = at;
    } else if (stem_into_conv(r, c)) {
        int st = stem_node(r, c), relu = n->in0, pool;
        role->prologue = st;
        p[st].folded_into = p[relu].folded_into = at;
        int add = role->pool ? node(r, at)->consumer : -1;
        int sc = add >= 0 ? stem_shortcut(r, add, &pool) : -1;
        if (sc >= 0) {
            role->shortcut = sc;
            role->writes = add;
            p[sc].folded_into = p[node(r, sc)->in0].folded_into = p[add].folded_into = at;
        }
    } else if (relu_into_conv(r, n->in0)) {
        role->prologue = n->in0;
        p[n->in0].folded_into = at;
    }
}

/* The forward role of node i (nodes folded into a later one are marked by it) */
static void plan_forward(const rules *r, hb_fusion_role *p, int i) {
    const hb_g_node *n = node(r, i);
    hb_fusion_role *role = &p[i];
    /* folded already: into an earlier conv's epilogue (an add, a shortcut) */
    if (role->folded_into >= 0 || n->kind == HB_G_RESHAPE) return;
    switch (n->kind) {
    case HB_G_CONV: /* unless its relu or pooling runs it */
        if (n->consumers == 1 && (relu_of_conv(r, n->consumer) || pool_of_conv(r, n->consumer)))
            role->folded_into = n->consumer;
        else
            plan_conv(r, p, i, i);
        return;
    case HB_G_RELU: /* a stem's relu, a relu_into_conv and a relu_into_gap run in the op
                     * reading them (the conv's turn marks the first two again) */
        if ((n->consumers == 1 && stem_into_conv(r, n->consumer)) || relu_into_conv(r, i) ||
            relu_into_gap(r, i)) {
            role->folded_into = n->consumer;
            return;
        }
        if (relu_of_conv(r, i)) return plan_conv(r, p, i, n->in0);
        if (affine_into_relu(r, n->in0)) {
            role->prologue = n->in0;
            p[n->in0].folded_into = i;
        }
        break;
    case HB_G_AVGPOOL:
        if (pool_of_conv(r, i)) return plan_conv(r, p, i, n->in0);
        break;
    case HB_G_AFFINE:
        if (affine_into_relu(r, i)) {
            role->folded_into = n->consumer;
            return;
        }
        break;
    case HB_G_GAP:
        if (relu_into_gap(r, n->in0)) role->prologue = n->in0;
        break;
    default: break;
    }
    role->op = i;
}

/* The backward role of node i */
static void plan_backward(const rules *r, hb_fusion_role *p, int i) {
    const hb_g_node *n = node(r, i);
    hb_fusion_role *role = &p[i];
    if (r->frozen && pool_of_conv(r, i)) p[i].bwd_folded_into = n->in0;
    if (n->kind == HB_G_CONV) {
        if (r->frozen && conv_pooled(r, i)) role->grad_from = n->consumer;
        if (stem_into_conv(r, i)) role->stem = stem_node(r, i);
    }
    if (conv_through_relu(r, i) || (n->kind == HB_G_GAP && relu_into_gap(r, n->in0))) {
        const hb_g_node *relu = node(r, n->in0);
        role->mask = n->in0;
        /* the relu's output, or its input when the relu never ran */
        int never_ran = relu_into_conv(r, n->in0) || n->kind == HB_G_GAP;
        role->mask_value = never_ran ? relu->in0 : n->in0;
        p[n->in0].bwd_folded_into = i;
    }
    if (n->kind == HB_G_ADD)
        for (int s = 0; s < 2; s++) {
            int x = root(r, s ? n->in1 : n->in0), c = identity_via_conv(r, i, x);
            if (c < 0) continue;
            role->identity_src = x;
            role->identity_conv = c;
            p[c].identity_add = i;
        }
}

hb_fusion_role *hb_fusion_plan_make(const hb_graph *g, hb_plan_kind kind) {
    rules r = {g, kind == HB_PLAN_FROZEN};
    hb_fusion_role *p = malloc((size_t)g->nnodes * sizeof *p);
    for (int i = 0; i < g->nnodes; i++)
        p[i] = (hb_fusion_role){.op = -1, .writes = i, .folded_into = -1, .prologue = -1,
                                .residual = -1, .shortcut = -1, .bwd_folded_into = -1,
                                .grad_from = i, .mask = -1, .mask_value = -1, .stem = -1,
                                .identity_src = -1, .identity_conv = -1, .identity_add = -1};
    for (int i = 1; i < g->nnodes; i++) plan_forward(&r, p, i);
    for (int i = 1; i < g->nnodes; i++) plan_backward(&r, p, i);
    return p;
}

static const char *kind_name(hb_g_kind k) {
    static const char *names[] = {"input", "conv", "linear", "relu", "avgpool", "upsample",
                                  "affine", "tanh", "gap", "add", "reshape", "sphere"};
    return names[k];
}

void hb_fusion_plan_print(FILE *f, const hb_graph *g, const hb_fusion_role *plan,
                          hb_plan_kind kind) {
    fprintf(f, "%s: %s passes\n", g->name, kind == HB_PLAN_FROZEN ? "frozen" : "training");
    for (int i = 1; i < g->nnodes; i++) {
        const hb_g_node *n = &g->nodes[i];
        const hb_fusion_role *p = &plan[i];
        char shape[40];
        snprintf(shape, sizeof shape, "%dx%dx%d", n->shape.c, n->shape.h, n->shape.w);
        fprintf(f, "%3d %-8s %-11s", i, kind_name(n->kind), shape);
        if (n->kind == HB_G_RESHAPE) fprintf(f, "  alias of %d", n->in0);
        else if (p->op < 0) fprintf(f, "  folded into %d", p->folded_into);
        else {
            fprintf(f, "  runs %s %d", kind_name(g->nodes[p->op].kind), p->op);
            if (p->prologue >= 0)
                fprintf(f, " prologue %s %d", kind_name(g->nodes[p->prologue].kind), p->prologue);
            if (p->relu) fprintf(f, " +relu");
            if (p->pool) fprintf(f, " +pool");
            if (p->residual >= 0) fprintf(f, " +residual %d", p->residual);
            if (p->shortcut >= 0) fprintf(f, " +shortcut %d", p->shortcut);
            if (p->writes != i) fprintf(f, " writes %d", p->writes);
        }
        fprintf(f, " |");
        if (p->bwd_folded_into >= 0) fprintf(f, " backward in %d", p->bwd_folded_into);
        if (p->grad_from != i) fprintf(f, " grad of %d", p->grad_from);
        if (p->mask >= 0) fprintf(f, " mask %d by %d", p->mask, p->mask_value);
        if (p->stem >= 0) fprintf(f, " stem %d", p->stem);
        if (p->identity_conv >= 0)
            fprintf(f, " grad to %d via %d", p->identity_src, p->identity_conv);
        if (p->identity_add >= 0) fprintf(f, " +grad of %d", p->identity_add);
        fprintf(f, "\n");
    }
}
