/* Adam with weight EMA and optional global gradient clipping over a graph's parameters (every
 * device chunk), shared by the trainers. */
#ifndef HB_OPTIM_H
#define HB_OPTIM_H

#include "nn/graph.h"

typedef struct {
    hb_g_flat m, v, ema;
    hb_tensor hyper;
    hb_tensor sqnorm; /* squared gradient norm per parameter chunk, then their sum */
    hb_adam_cfg cfg;
} hb_optim;

/* Zero moments; the EMA starts at g's current weights. clip = 0: no clipping. */
void hb_optim_init(hb_ctx *ctx, hb_optim *a, hb_graph *g, float ema_decay, float clip);
void hb_optim_free(hb_ctx *ctx, const hb_graph *g, hb_optim *a);
/* Records the update of g's weights from g's gradients. */
void hb_optim_record(hb_cmd *cmd, hb_optim *a, hb_graph *g);
/* Writes the learning rate and bias corrections of Adam step `step` (1-based) before a
 * submission of what hb_optim_record recorded. */
void hb_optim_hyper(hb_ctx *ctx, hb_optim *a, float lr, long step);

/* The EMA starts at the initial weights w0, so after `steps` updates it still holds
 * decay^steps w0 (37% after 1000 steps at 0.999). w0 is a function of the seed, so callers
 * regenerate it and this removes it exactly, in place: ema = (ema - decay^t w0) / (1 -
 * decay^t), the average of the trained weights alone. */
void hb_ema_debias(float *ema, const float *w0, size_t n, float decay, long steps);
/* g's initial weights for seed (malloc'ed host flat array); g's weights are left as they are. */
float *hb_g_initial_weights(hb_graph *g, uint64_t seed);

#endif
