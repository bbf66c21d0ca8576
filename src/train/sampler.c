/* Step-by-step Langevin sampling from a trained run's weights. */
#include "train/sampler.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/files.h"
#include "train/chain.h"
#include "train/optim.h"

struct hb_sampler {
    hb_ctx *ctx;
    hb_config cfg;
    hb_chain chain; /* its networks, batch, Y, G(Z), seed and step sizes */
    int D, joint;
    long steps;
    hb_tensor one, energy;
    /* for hb_sampler_gradient_norm, made at its first call (sample and the viewer never ask):
       images whose dH/dx is asked for, a zero residual, the squared norms */
    hb_tensor probe, zeros, sqnorm;
    hb_cmd *restart, *step, *observe, *score, *gradient;
};

int hb_run_locate(const char *run, char *config_path, char *checkpoint_path, size_t size,
                  char *err, size_t errlen) {
    if (hb_is_dir(run)) {
        snprintf(checkpoint_path, size, "%s/checkpoint.safetensors", run);
        snprintf(config_path, size, "%s/config.ini", run);
    } else if (hb_is_file(run)) {
        const char *slash = strrchr(run, '/');
        int dirlen = slash ? (int)(slash - run) : 1;
        snprintf(checkpoint_path, size, "%s", run);
        snprintf(config_path, size, "%.*s/config.ini", dirlen, slash ? run : ".");
    } else {
        return hb_errorf(err, errlen, "%s: no such run directory or checkpoint file", run);
    }
    if (!hb_is_file(checkpoint_path))
        return hb_errorf(err, errlen, "%s has no checkpoint.safetensors: not a trained run "
                         "directory (train one with hatebm train)", run);
    if (!hb_is_file(config_path))
        return hb_errorf(err, errlen, "%s not found: a checkpoint is read with the config.ini "
                         "of its run directory", config_path);
    return 0;
}

/* (Re)records the restart and step command buffers for the current seed and step sizes. */
static void record(hb_sampler *s) {
    const hb_config *c = &s->cfg;
    const hb_chain *ch = &s->chain;
    int B = ch->batch;
    hb_cmd_destroy(s->restart);
    hb_cmd_destroy(s->step);
    /* the chain's start as in training, except that Y_0 is drawn and scaled even at
       init_scale_res 0, so its zeros keep the signs hatebm sample has always written */
    s->restart = hb_cmd_create(s->ctx);
    hb_cmd_begin(s->restart);
    hb_fill(s->restart, ch->counter, 0.0f);
    hb_tensor z = hb_g_value(ch->gen, 0, B);
    hb_randn(s->restart, z, ch->counter, ch->seed, HB_STREAM_Z);
    hb_axpby(s->restart, z, z, c->init_scale_latent, 0.0f);
    hb_randn(s->restart, ch->y, ch->counter, ch->seed, HB_STREAM_Y0);
    hb_axpby(s->restart, ch->y, ch->y, c->init_scale_res, 0.0f);
    hb_g_forward(ch->gen, s->restart, B);
    hb_cmd_copy(s->restart, ch->gz, hb_g_value(ch->gen, ch->gen->output, B));
    hb_cmd_end(s->restart);

    /* one step, always the chain's step 0: the counter moves on instead */
    s->step = hb_cmd_create(s->ctx);
    hb_cmd_begin(s->step);
    if (s->joint) hb_chain_record_joint(s->step, ch, 0, 1);
    else hb_chain_record_conditional(s->step, ch, 0, 1);
    hb_axpby(s->step, ch->counter, s->one, 1.0f, 1.0f);
    hb_cmd_end(s->step);
}

/* g's weights, loaded from a checkpoint's EMA, without the initial weights' share. */
static void debias_ema(hb_graph *g, uint64_t init_seed, float decay, long steps) {
    float *ema = hb_g_download_flat(g, &g->weights);
    hb_ema_debias(g, ema, init_seed, decay, steps);
    hb_g_upload_flat(g, &g->weights, ema);
    free(ema);
}

static int load_weights(hb_sampler *s, const char *path, int use_ema, char *err, size_t errlen) {
    hb_st_file f;
    if (hb_st_load(path, &f, err, errlen) != 0) return -1;
    const char *mode = hb_st_meta_get(&f, "mode");
    int rc = -1;
    if (!mode || strcmp(mode, hb_mode_name(s->cfg.mode)) != 0) {
        hb_errorf(err, errlen, "%s: a checkpoint of mode %s, but its config.ini says mode %s", path,
                  mode ? mode : "(none)", hb_mode_name(s->cfg.mode));
    } else if (hb_g_load_params(s->chain.hat, &f, use_ema ? "ema.hat." : "hat.", err, errlen) == 0 &&
               hb_g_load_params(s->chain.gen, &f,
                                use_ema && s->cfg.mode == HB_MODE_SYNTH ? "ema.gen." : "gen.", err,
                                errlen) == 0) {
        const char *step = hb_st_meta_get(&f, "step");
        long t = step ? strtol(step, NULL, 10) : 0;
        if (use_ema) { /* seeds as in hb_trainer_new */
            debias_ema(s->chain.hat, s->cfg.seed, s->cfg.ema_decay, t);
            if (s->cfg.mode == HB_MODE_SYNTH)
                debias_ema(s->chain.gen, s->cfg.seed + 1, s->cfg.ema_decay, t);
        }
        rc = 0;
    }
    hb_st_free(&f);
    return rc;
}

/* ||dH/dx||^2 of the images in s->probe: the chain's own energy-gradient pass, with the
 * images as G(Z) and a zero residual, on the frozen graph as in the chain. */
static void record_gradient_norms(hb_sampler *s) {
    hb_chain probe = s->chain;
    int B = probe.batch;
    size_t BD = (size_t)B * s->D;
    s->probe = hb_alloc(s->ctx, BD);
    s->zeros = hb_alloc(s->ctx, BD);
    s->sqnorm = hb_alloc(s->ctx, (size_t)B);
    hb_fill_host(s->ctx, s->zeros, 0.0f);
    probe.y = s->zeros;
    s->gradient = hb_cmd_create(s->ctx);
    hb_cmd_begin(s->gradient);
    hb_g_freeze(probe.hat, s->gradient);
    hb_chain_energy_gradient(s->gradient, &probe, s->probe);
    hb_sqnorm_rows(s->gradient, s->sqnorm, hb_g_grad(probe.hat, 0, B), B, s->D);
    hb_g_thaw(probe.hat);
    hb_cmd_end(s->gradient);
}

hb_sampler *hb_sampler_new(hb_ctx *ctx, const char *run, int batch, int use_ema, hb_config *cfg,
                           char *err, size_t errlen) {
    char config_path[1100], ckpt[1100];
    if (hb_run_locate(run, config_path, ckpt, sizeof ckpt, err, errlen) != 0) return NULL;
    hb_config c;
    if (hb_config_load(config_path, 0, NULL, &c, err, errlen) != 0) return NULL;
    if (c.mode == HB_MODE_AE || c.mode == HB_MODE_CLASSIFIER) {
        hb_errorf(err, errlen, "%s is a mode %s run, which has no energy to sample; sample a "
                  "synth or joint run (mode joint on the autoencoder's decoder is the retrofit)",
                  run, hb_mode_name(c.mode));
        return NULL;
    }
    if (batch < 1 || batch > 4096) {
        hb_errorf(err, errlen, "chain batch %d out of range (1..4096)", batch);
        return NULL;
    }
    hb_sampler *s = calloc(1, sizeof *s);
    s->ctx = ctx;
    s->cfg = c;
    s->D = c.channels * c.image_size * c.image_size;
    s->joint = c.mode == HB_MODE_JOINT && c.update_latents;
    hb_train_cfg tc = hb_train_cfg_from_config(&c);
    s->chain = (hb_chain){.hat = hb_train_build_hat(ctx, &tc),
                          .gen = hb_train_build_generator(ctx, &tc), .batch = batch,
                          .eps_res = c.epsilon, .eps_latent = c.epsilon_latent,
                          .temp = c.mcmc_temp, .max_norm_res = c.max_langevin_norm_res,
                          .tau_res = c.tau_res};
    hb_g_finalize(s->chain.hat, batch);
    hb_g_finalize(s->chain.gen, batch);
    if (load_weights(s, ckpt, use_ema, err, errlen) != 0) {
        hb_g_free(s->chain.hat);
        hb_g_free(s->chain.gen);
        free(s);
        return NULL;
    }
    size_t BD = (size_t)batch * s->D;
    s->chain.y = hb_alloc(ctx, BD);
    s->chain.gz = hb_alloc(ctx, BD);
    s->chain.scratch = hb_alloc(ctx, (size_t)batch);
    s->chain.counter = hb_alloc(ctx, 1);
    s->one = hb_alloc(ctx, 1);
    s->energy = hb_alloc(ctx, (size_t)batch);
    hb_fill_host(ctx, s->one, 1.0f);

    /* H(G(Z) + Y) for reading the chains; H(x) of given images for scoring */
    s->observe = hb_cmd_create(ctx);
    hb_cmd_begin(s->observe);
    hb_add(s->observe, hb_g_value(s->chain.hat, 0, batch), s->chain.gz, s->chain.y);
    hb_g_forward(s->chain.hat, s->observe, batch);
    hb_cmd_copy(s->observe, s->energy, hb_g_value(s->chain.hat, s->chain.hat->output, batch));
    hb_cmd_end(s->observe);
    s->score = hb_cmd_create(ctx);
    hb_cmd_begin(s->score);
    hb_g_forward(s->chain.hat, s->score, batch);
    hb_cmd_copy(s->score, s->energy, hb_g_value(s->chain.hat, s->chain.hat->output, batch));
    hb_cmd_end(s->score);

    hb_sampler_restart(s, c.seed);
    if (cfg) *cfg = c;
    return s;
}

void hb_sampler_free(hb_sampler *s) {
    if (!s) return;
    hb_cmd_destroy(s->restart);
    hb_cmd_destroy(s->step);
    hb_cmd_destroy(s->observe);
    hb_cmd_destroy(s->score);
    hb_cmd_destroy(s->gradient);
    hb_tensor ts[] = {s->chain.y,   s->chain.gz, s->chain.scratch, s->chain.counter, s->one,
                      s->energy,    s->probe,    s->zeros,         s->sqnorm};
    for (size_t i = 0; i < sizeof ts / sizeof *ts; i++) hb_free(s->ctx, ts[i]);
    hb_g_free(s->chain.hat);
    hb_g_free(s->chain.gen);
    free(s);
}

int hb_sampler_batch(const hb_sampler *s) { return s->chain.batch; }
int hb_sampler_joint(const hb_sampler *s) { return s->joint; }
long hb_sampler_steps_done(const hb_sampler *s) { return s->steps; }

void hb_sampler_restart(hb_sampler *s, uint64_t seed) {
    s->chain.seed = seed;
    record(s);
    hb_cmd_run(s->restart);
    s->steps = 0;
}

void hb_sampler_set_step_sizes(hb_sampler *s, float eps_res, float eps_latent) {
    s->chain.eps_res = eps_res;
    s->chain.eps_latent = eps_latent;
    record(s); /* the counter on the device carries on: no step repeats its noise */
}

void hb_sampler_get_step_sizes(const hb_sampler *s, float *eps_res, float *eps_latent) {
    if (eps_res) *eps_res = s->chain.eps_res;
    if (eps_latent) *eps_latent = s->chain.eps_latent;
}

void hb_sampler_step(hb_sampler *s, int n) {
    for (int i = 0; i < n; i++) hb_cmd_run(s->step);
    s->steps += n;
}

void hb_sampler_read(hb_sampler *s, float *x, float *g, float *y, float *energy) {
    hb_cmd_run(s->observe);
    int B = s->chain.batch;
    if (x) hb_download(s->ctx, hb_g_value(s->chain.hat, 0, B), x);
    if (g) hb_download(s->ctx, s->chain.gz, g);
    if (y) hb_download(s->ctx, s->chain.y, y);
    if (energy) hb_download(s->ctx, s->energy, energy);
}

/* One value per image of n images [n][D]: each batch uploaded to `in`, `cmd` run, B values
 * downloaded from `out`; a last partial batch is padded with zeros (the images are
 * independent). */
static void per_image(hb_sampler *s, hb_tensor in, hb_cmd *cmd, hb_tensor out,
                      const float *images, int n, float *values) {
    int B = s->chain.batch;
    size_t D = (size_t)s->D;
    float *pad = calloc((size_t)B * D, sizeof *pad), *v = malloc((size_t)B * sizeof *v);
    for (int at = 0; at < n; at += B) {
        int m = n - at < B ? n - at : B;
        memcpy(pad, images + (size_t)at * D, (size_t)m * D * sizeof *pad);
        hb_upload(s->ctx, in, pad);
        hb_cmd_run(cmd);
        hb_download(s->ctx, out, v);
        memcpy(values + at, v, (size_t)m * sizeof *v);
    }
    free(pad);
    free(v);
}

void hb_sampler_energy(hb_sampler *s, const float *images, int n, float *energy) {
    per_image(s, hb_g_value(s->chain.hat, 0, s->chain.batch), s->score, s->energy, images, n,
              energy);
}

void hb_sampler_gradient_norm(hb_sampler *s, const float *images, int n, float *gradnorm) {
    if (!s->gradient) record_gradient_norms(s);
    per_image(s, s->probe, s->gradient, s->sqnorm, images, n, gradnorm);
    for (int i = 0; i < n; i++) gradnorm[i] = sqrtf(gradnorm[i]);
}
