/* The three Hat EBM trainers of the paper, each iteration recorded once into a command buffer
 * and replayed (one queue submission per iteration; between replays the host writes only the
 * iteration number, learning rates, bank indices and the data batch):
 *
 * - synth: the conditional Hat EBM trained in tandem with its generator, Algorithm 1: Z ~
 *   N(0, I), Y_0 = 0, K Langevin steps on Y, EBM update on data + data_epsilon noise versus
 *   X = G(Z) + Y_K, generator update by scaled MSE on a batch drawn from the historical bank
 *   of (Z, X) pairs, then those bank slots are overwritten with the newest pairs.
 * - joint: the joint Hat EBM over a frozen generator (refinement of a pretrained SN-GAN
 *   generator, or retrofit of an autoencoder's decoder): alternating Langevin on Y and on Z
 *   through G (or Y only when update_latents is off), then the EBM update.
 * - ae: the deterministic autoencoder of the retrofit experiment (latent on the sphere),
 *   MSE times loss_factor, whose decoder then feeds mode joint. */
#ifndef HB_TRAINER_H
#define HB_TRAINER_H

#include "config/config.h"
#include "nn/models.h"

typedef struct {
    hb_mode mode;
    int res, nch, ngf_hat, ngf_gen;
    float gen_factor;
    int generator_is_decoder; /* joint: the frozen generator is a retrofit decoder */
    int batch_size, mcmc_steps, persistent_size, update_latents;
    float epsilon, epsilon_latent, mcmc_temp, max_langevin_norm_res, tau_res, data_epsilon;
    float init_scale_latent, init_scale_res;
    float lr_ebm, lr_gen, gen_loss_factor_coop, loss_factor, ema_decay, max_grad_norm;
    float energy_l2; /* alpha of the energy-magnitude penalty (0: none, Algorithm 1) */
    uint64_t seed;
    /* Data parallel (src/dist/): this process runs rows rank * batch_size / procs .. of each
     * batch; the gradients are summed over the processes between the backward passes and the
     * updates. procs <= 1: one process. */
    int procs, rank;
    hb_init_scheme init;
} hb_train_cfg;

typedef struct {
    float e_pos, e_neg; /* mean energies of data and of samples X (not ae) */
    float ebm_loss;     /* (e_pos - e_neg) / mcmc_temp, without energy_l2's term (not ae) */
    float gen_loss;     /* synth: gen_loss_factor_coop * MSE on the bank batch; ae: the loss */
    float res_norm;     /* RMS over samples of the L2 norm of the residual Y_K */
    float grad_norm;    /* RMS over samples of the L2 norm of dH/dx / T at the last step */
    float state_sum;    /* sum of every weight (after the update) and of the samples X: not
                           finite as soon as one of them is not */
    double host_s;      /* host time: writing inputs, submitting, reading metrics */
    double device_s;    /* waiting for the device */
} hb_train_metrics;

/* The trainer's settings from a run's config. */
hb_train_cfg hb_train_cfg_from_config(const hb_config *c);
/* The run's networks (built, not finalized), drawing their initial weights by c->init: the
 * generator is the retrofit decoder for ae and for joint on a decoder, else the SN-GAN
 * generator; then the hat network and the ae's encoder. */
hb_graph *hb_train_build_generator(hb_ctx *ctx, const hb_train_cfg *c);
hb_graph *hb_train_build_hat(hb_ctx *ctx, const hb_train_cfg *c);
hb_graph *hb_train_build_encoder(hb_ctx *ctx, const hb_train_cfg *c);

typedef struct hb_trainer hb_trainer;

/* joint: `generator` is a safetensors file with the frozen generator's weights (names as the
 * PyTorch modules, optionally prefixed "gen." as in our checkpoints). NULL on failure with a
 * one-line message in err. */
hb_trainer *hb_trainer_new(hb_ctx *ctx, const hb_train_cfg *cfg, const char *generator,
                           char *err, size_t errlen);
void hb_trainer_free(hb_trainer *t);
/* Device memory hb_trainer_new will allocate for cfg, in bytes (within a few percent: small
 * tensors and allocation rounding aside), computed without allocating anything. */
size_t hb_trainer_plan_bytes(hb_ctx *ctx, const hb_train_cfg *cfg);
/* One iteration on this process's rows of the data batch ([batch_size / procs][nch][res][res]
 * in [-1, 1]), learning rates as given (schedules are the caller's). Several processes call it
 * together: the metrics are those of the whole batch on every process. */
void hb_trainer_step(hb_trainer *t, const float *data, float lr_ebm, float lr_gen,
                     hb_train_metrics *m);
long hb_trainer_iteration(const hb_trainer *t);
/* Records (once) and runs only the Langevin chain, for benchmarks and sampling. */
void hb_trainer_sample(hb_trainer *t);
/* The last chain's X, G(Z), Y of this process's rows (each [batch_size / procs][nch][res][res]);
 * ae: reconstruction, input, and their difference. Any pointer may be NULL. */
void hb_trainer_samples(hb_trainer *t, float *x, float *g, float *y);

/* For watching training (hatebm-view --attach): runs the Langevin chain once more with the
 * current weights and keeps X, G(Z), Y and the energies H(X) of the first n chains at the S
 * chain steps steps[] (non-decreasing, within 0..mcmc_steps). x, g, y: [S][n][nch][res][res],
 * energy: [S][n]; any may be NULL. Recorded on the first call (again when n or the steps
 * change). Training is unaffected: it overwrites only what the next iteration rewrites, but
 * that includes what hb_trainer_samples returns, so read those first. Not for ae runs. */
#define HB_TRAJ_MAX 64
void hb_trainer_trajectory(hb_trainer *t, int n, int S, const int *steps, float *x, float *g,
                           float *y, float *energy);

/* Checkpoint: every tensor and counter needed to continue bit-identically (weights, EMA
 * weights, Adam moments, the bank, the host RNG and the step), written atomically. */
int hb_trainer_save(hb_trainer *t, const char *path, char *err, size_t errlen);
int hb_trainer_load(hb_trainer *t, const char *path, char *err, size_t errlen);
/* 0 when every weight, EMA weight, Adam moment and bank value is finite; else -1 and the
 * first tensor holding NaN or Inf, by its checkpoint name ("hat.b.0.c1.weight", "ema.gen.*",
 * "opt.hat.m (...)", "bank.x (...)"), in what. Downloads the whole state: for load, save and
 * after a failed step, not every iteration. */
int hb_trainer_check_finite(hb_trainer *t, char *what, size_t len);
/* A hash of the weights and the bank: the same on every process of a run, or they diverged. */
uint64_t hb_trainer_checksum(hb_trainer *t);
/* The generator (synth) or decoder (ae) with EMA weights (debiased: hb_ema_debias), names as
 * the PyTorch module. */
int hb_trainer_export_generator(hb_trainer *t, const char *path, char *err, size_t errlen);

hb_graph *hb_trainer_hat(hb_trainer *t);
hb_graph *hb_trainer_gen(hb_trainer *t);

#endif
