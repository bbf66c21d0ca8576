/* The conditional Hat EBM trained in tandem with its generator: Algorithm 1 of the paper.
 * One training iteration is recorded once into a command buffer and replayed: K Langevin
 * steps on Y, the EBM update, the generator update on a batch from the historical bank, and
 * the bank update, all in one queue submission. Between replays the host only writes the
 * iteration number, learning rates, the bank batch indices and the data batch. */
#ifndef HB_SYNTH_H
#define HB_SYNTH_H

#include "nn/models.h"

typedef struct {
    int res, nch, ngf_hat, ngf_gen;
    float gen_factor;
    int batch_size, mcmc_steps, persistent_size;
    float epsilon, mcmc_temp, max_langevin_norm_res, data_epsilon;
    float lr_ebm, lr_gen, gen_loss_factor_coop, ema_decay, max_grad_norm;
    uint64_t seed;
} hb_synth_cfg;

typedef struct {
    float e_pos, e_neg; /* mean energies of data and of samples X */
    float ebm_loss;     /* (e_pos - e_neg) / mcmc_temp */
    float gen_loss;     /* gen_loss_factor_coop * MSE on the bank batch */
    double host_s;      /* host time: writing inputs, submitting, reading metrics */
    double device_s;    /* waiting for the device */
} hb_synth_metrics;

typedef struct hb_synth hb_synth;

hb_synth *hb_synth_new(hb_ctx *ctx, const hb_synth_cfg *cfg);
void hb_synth_free(hb_synth *s);
/* Runs one iteration on the data batch [batch_size][nch][res][res] (host floats in [-1,1]). */
void hb_synth_step(hb_synth *s, const float *data, hb_synth_metrics *m);
/* Records only the K-step Langevin chain (Z ~ N(0,I), Y_0 = 0), for benchmarks. */
void hb_synth_sample(hb_synth *s);
int hb_synth_iteration(const hb_synth *s);
/* Samples of the last iteration: X = G(Z) + Y_K, G(Z) and Y_K, each [batch][nch][res][res]. */
void hb_synth_download_samples(hb_synth *s, float *x, float *g, float *y);
hb_graph *hb_synth_hat(hb_synth *s);
hb_graph *hb_synth_gen(hb_synth *s);

#endif
