/* The fusion plan of a graph: which ops run, and which are folded into another op's prologue
 * or epilogue. One pass over the graph, made once for training passes (parameter gradients
 * wanted) and once for frozen passes (hb_g_freeze: the steps of a Langevin chain, which see
 * fixed weights and want the input's gradient only). hb_g_forward and hb_g_backward record
 * what the plan says and decide nothing themselves; HATEBM_PLAN=1 or `hatebm plan CONFIG`
 * prints it. The ops' own limits come from hb_conv2d_supports. */
#ifndef HB_FUSION_H
#define HB_FUSION_H

#include <stdio.h>

struct hb_graph;

typedef enum { HB_PLAN_TRAIN, HB_PLAN_FROZEN, HB_PLAN_KINDS } hb_plan_kind;

/* Node indices; -1: none. */
typedef struct {
    /* Forward. At this node's turn the op of node `op` is recorded (this node's own, or the
     * conv a relu or pooling completes), writing value `writes` (this node, or the add the op
     * completes); op -1: nothing runs here, the value is computed inside node folded_into's op
     * (or never needed). */
    int op, writes, folded_into;
    int prologue; /* applied to the op's input first: a conv's relu (relu_in) or relu'd stem
                   * conv (computed from the stem's input), a relu's affine, a global
                   * pooling's relu */
    int relu, pool;         /* a conv's epilogue: max(., 0); 2x2 average pooling */
    int residual, shortcut; /* a conv's epilogue: this value added; this 1x1 conv of the stem
                             * input's pooling added (with a stem prologue and pooling) */
    /* Backward. */
    int bwd_folded_into; /* this node's backward pass runs inside that conv's (or pooling's) */
    int grad_from;       /* a conv's backward data reads this node's gradient (its pooling's,
                          * the pooling's backward pass folded in; else the conv itself) */
    int mask, mask_value; /* a conv's or global pooling's backward pass applies relu `mask`'s,
                           * masked by the sign of value mask_value (the relu's output, or its
                           * input where the relu never ran) */
    int stem;             /* a conv's backward data masks by this stem's relu, recomputed */
    int identity_src, identity_conv; /* an add: its gradient into identity_src (a ResNet block's
                                      * input) is added by conv identity_conv's backward data */
    int identity_add;                /* a conv: adds that add's gradient (as above) */
} hb_fusion_role;

/* The roles of g's nodes in passes of that kind (g->nnodes entries; free()). The graph's
 * consumers must be counted (hb_g_finalize does). */
hb_fusion_role *hb_fusion_plan_make(const struct hb_graph *g, hb_plan_kind kind);
/* One line per node: what runs, what is folded where. */
void hb_fusion_plan_print(FILE *f, const struct hb_graph *g, const hb_fusion_role *plan,
                          hb_plan_kind kind);

#endif
