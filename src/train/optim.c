/* Adam + EMA over a graph's chunked parameters. */
#include "train/optim.h"

#include <math.h>
#include <stdlib.h>

void hb_optim_init(hb_ctx *ctx, hb_optim *a, hb_graph *g, float ema_decay, float clip) {
    a->m = hb_g_flat_alloc(g);
    a->v = hb_g_flat_alloc(g);
    a->ema = hb_g_flat_alloc(g);
    a->hyper = hb_alloc(ctx, 4);
    a->sqnorm = hb_alloc(ctx, (size_t)g->weights.n + 1);
    a->cfg = (hb_adam_cfg){.beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f, .ema_decay = ema_decay,
                           .max_grad_norm = clip};
    float *flat = hb_g_download_flat(g, &g->weights);
    hb_g_upload_flat(g, &a->ema, flat);
    free(flat);
}

void hb_optim_free(hb_ctx *ctx, const hb_graph *g, hb_optim *a) {
    hb_g_flat_free(g, &a->m), hb_g_flat_free(g, &a->v), hb_g_flat_free(g, &a->ema);
    hb_free(ctx, a->hyper), hb_free(ctx, a->sqnorm);
}

void hb_optim_record(hb_cmd *cmd, hb_optim *a, hb_graph *g) {
    int n = g->weights.n;
    hb_tensor total = hb_slice(a->sqnorm, (uint32_t)n, 1);
    int clip = a->cfg.max_grad_norm > 0;
    if (clip) { /* the global norm over every chunk, as tf.clip_by_global_norm */
        for (int c = 0; c < n; c++)
            hb_reduce_sumsq(cmd, hb_slice(a->sqnorm, (uint32_t)c, 1), g->grads.t[c], 1.0f);
        hb_reduce_sum(cmd, total, hb_slice(a->sqnorm, 0, (uint32_t)n), 1.0f);
    }
    for (int c = 0; c < n; c++)
        hb_adam(cmd, g->weights.t[c], g->grads.t[c], a->m.t[c], a->v.t[c], a->ema.t[c], a->hyper,
                clip ? total : HB_NONE, &a->cfg);
}

void hb_optim_hyper(hb_ctx *ctx, hb_optim *a, float lr, long step) {
    float hyper[4];
    hb_adam_hyper(hyper, &a->cfg, lr, (int)step);
    hb_upload(ctx, a->hyper, hyper);
}

/* g's initial weights for seed (malloc'ed host flat array); g's weights are left as they are. */
static float *initial_weights(hb_graph *g, uint64_t seed) {
    float *current = hb_g_download_flat(g, &g->weights);
    hb_g_init_params(g, seed);
    float *w0 = hb_g_download_flat(g, &g->weights);
    hb_g_upload_flat(g, &g->weights, current);
    free(current);
    return w0;
}

void hb_ema_debias(hb_graph *g, float *ema, uint64_t init_seed, float decay, long steps) {
    double keep = pow(decay, (double)steps);
    if (steps < 1 || keep <= 0) return;
    float *w0 = initial_weights(g, init_seed);
    for (size_t i = 0; i < g->nparam_floats; i++)
        ema[i] = (float)((ema[i] - keep * w0[i]) / (1 - keep));
    free(w0);
}
