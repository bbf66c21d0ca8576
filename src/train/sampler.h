/* Sampling from a trained run with its EMA weights (or the current ones): the chain the run
 * trained with (train/chain.h), one Langevin step per call, so a caller can watch it
 * (hatebm-view), keep trajectories (hatebm sample) or run it far longer than in training.
 *
 * - synth, or joint with update_latents off: conditional chain, Y moves given G(Z) (eq. 5);
 * - joint: Y then Z per step (eqs. 6 and 7), Z through the frozen generator.
 * Z starts as N(0, I) * init_scale_latent and Y as init_scale_res * N(0, I) (0 by default),
 * exactly as in training; step k draws its noise from counter k of the restart's seed. */
#ifndef HB_SAMPLER_H
#define HB_SAMPLER_H

#include "config/config.h"
#include "train/trainer.h"

typedef struct hb_sampler hb_sampler;

/* Where a run is: `run` is a run directory (config.ini + checkpoint.safetensors) or a
 * checkpoint file whose directory holds the config.ini. 0, or -1 with one line in err. */
int hb_run_locate(const char *run, char *config_path, char *checkpoint_path, size_t size,
                  char *err, size_t errlen);

/* Loads the run's config (*cfg) and the weights of its hat network and generator: the EMA
 * weights when use_ema (a joint run's generator is frozen, so its only weights), for chains
 * of `batch` samples. An autoencoder run has no energy and is refused. NULL + err. */
hb_sampler *hb_sampler_new(hb_ctx *ctx, const char *run, int batch, int use_ema, hb_config *cfg,
                           char *err, size_t errlen);
void hb_sampler_free(hb_sampler *s);
int hb_sampler_batch(const hb_sampler *s);
int hb_sampler_joint(const hb_sampler *s); /* 1 when Z moves too */

/* New chains: Z and Y_0 drawn from `seed`; the step count returns to 0. */
void hb_sampler_restart(hb_sampler *s, uint64_t seed);
/* Step sizes of Y and Z (the config's epsilon and epsilon_latent at first). */
void hb_sampler_set_step_sizes(hb_sampler *s, float eps_res, float eps_latent);
void hb_sampler_get_step_sizes(const hb_sampler *s, float *eps_res, float *eps_latent);
/* n Langevin steps, in one submission. */
void hb_sampler_step(hb_sampler *s, int n);
long hb_sampler_steps_done(const hb_sampler *s);

/* The chains' current X = G(Z) + Y, G(Z), Y (each [batch][nch][res][res]) and energies H(X)
 * (the hat network's output, [batch]); any pointer may be NULL. */
void hb_sampler_read(hb_sampler *s, float *x, float *g, float *y, float *energy);

/* Energies H(x) of n images [n][nch][res][res] (any n; run in batches) with the sampler's hat
 * weights: what hatebm ood scores. */
void hb_sampler_energy(hb_sampler *s, const float *images, int n, float *energy);
/* ||dH/dx||_2 of each of n images, through the chain's energy-gradient pass (frozen graph). */
void hb_sampler_gradient_norm(hb_sampler *s, const float *images, int n, float *gradnorm);

#endif
