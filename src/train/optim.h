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
 * decay^steps w0 (37% after 1000 steps at 0.999). w0 is a function of init_seed (the seed of
 * g's hb_g_init_params), so it is regenerated (g's weights are left as they are) and removed
 * exactly from ema (g's parameters, flat on the host), in place: ema = (ema - decay^t w0) /
 * (1 - decay^t), the average of the trained weights alone. */
void hb_ema_debias(hb_graph *g, float *ema, uint64_t init_seed, float decay, long steps);

#endif
