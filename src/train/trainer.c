/* The synth, joint and ae trainers: one recorded command buffer per iteration, replayed. */
#include "train/trainer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "dist/dist.h"
#include "train/chain.h"
#include "train/trainer_state.h"

hb_train_cfg hb_train_cfg_from_config(const hb_config *c) {
    return (hb_train_cfg){
        .mode = c->mode, .res = c->image_size, .nch = c->channels, .ngf_hat = c->ngf_hat,
        .ngf_gen = c->ngf_gen, .gen_factor = c->gen_factor,
        .generator_is_decoder = c->generator_kind == HB_GEN_DECODER,
        .batch_size = c->batch_size, .mcmc_steps = c->mcmc_steps,
        .persistent_size = c->persistent_size, .update_latents = c->update_latents,
        .epsilon = c->epsilon, .epsilon_latent = c->epsilon_latent, .mcmc_temp = c->mcmc_temp,
        .max_langevin_norm_res = c->max_langevin_norm_res, .tau_res = c->tau_res,
        .data_epsilon = c->data_epsilon, .init_scale_latent = c->init_scale_latent,
        .init_scale_res = c->init_scale_res, .lr_ebm = c->lr_ebm, .lr_gen = c->lr_gen,
        .gen_loss_factor_coop = c->gen_loss_factor_coop, .loss_factor = c->loss_factor,
        .ema_decay = c->ema_decay, .max_grad_norm = c->max_grad_norm,
        .energy_l2 = c->energy_l2, .seed = c->seed,
        .init = c->init};
}

static int processes(const hb_train_cfg *c) { return c->procs > 1 ? c->procs : 1; }

/* This process's share of the batch. */
static int local_batch(const hb_train_cfg *c) { return c->batch_size / processes(c); }

static int uses_decoder(const hb_train_cfg *c) {
    return c->mode == HB_MODE_AE || (c->mode == HB_MODE_JOINT && c->generator_is_decoder);
}

/* g, set to draw its initial weights (and those hb_ema_debias takes out) by c->init */
static hb_graph *with_init(hb_graph *g, const hb_train_cfg *c) {
    g->init = c->init == HB_INIT_SCHEME_PYTORCH ? HB_G_INIT_TORCH : HB_G_INIT_GLOROT;
    return g;
}

hb_graph *hb_train_build_generator(hb_ctx *ctx, const hb_train_cfg *c) {
    return with_init(uses_decoder(c) ? hb_build_decoder(ctx, c->nch, c->ngf_gen, c->gen_factor)
                                     : hb_build_gen(ctx, c->res, c->nch, c->ngf_gen, c->gen_factor),
                     c);
}

hb_graph *hb_train_build_hat(hb_ctx *ctx, const hb_train_cfg *c) {
    return with_init(hb_build_hat(ctx, c->res, c->nch, c->ngf_hat), c);
}

hb_graph *hb_train_build_encoder(hb_ctx *ctx, const hb_train_cfg *c) {
    return with_init(hb_build_encoder(ctx, c->nch, c->ngf_gen), c);
}

/* ---- the steps of an iteration ---- */

static hb_tensor metric(const hb_trainer *t, int slot) {
    return hb_slice(t->metrics, (uint32_t)slot, 1);
}

/* The Langevin chain over the trainer's networks and buffers. */
static hb_chain chain_of(const hb_trainer *t) {
    const hb_train_cfg *c = &t->cfg;
    return (hb_chain){.hat = t->hat, .gen = t->gen, .batch = t->B, .row0 = t->row0, .y = t->y,
                      .gz = t->gz, .scratch = t->scratch, .counter = t->counter, .seed = c->seed,
                      .eps_res = c->epsilon, .eps_latent = c->epsilon_latent,
                      .temp = c->mcmc_temp, .max_norm_res = c->max_langevin_norm_res,
                      .tau_res = c->tau_res};
}

static int joint_chain(const hb_train_cfg *c) {
    return c->mode == HB_MODE_JOINT && c->update_latents;
}

/* Z ~ N(0, I) * init_scale_latent into the generator's input and Y_0 = init_scale_res *
 * N(0, I) (0 by default); the conditional chain also wants G(Z), which the joint chain
 * computes itself on its frozen generator. */
static void record_chain_start(hb_trainer *t, hb_cmd *cmd) {
    const hb_train_cfg *c = &t->cfg;
    int B = t->B;
    hb_tensor z = hb_g_value(t->gen, 0, B);
    hb_randn_at(cmd, z, t->counter, c->seed, HB_STREAM_Z, (uint32_t)(t->row0 * HB_NZ));
    if (c->init_scale_latent != 1.0f) hb_axpby(cmd, z, z, c->init_scale_latent, 0.0f);
    if (c->init_scale_res > 0) {
        hb_randn_at(cmd, t->y, t->counter, c->seed, HB_STREAM_Y0, (uint32_t)(t->row0 * t->D));
        hb_axpby(cmd, t->y, t->y, c->init_scale_res, 0.0f);
    } else {
        hb_fill(cmd, t->y, 0.0f);
    }
    if (joint_chain(c)) return;
    hb_g_forward(t->gen, cmd, B);
    hb_cmd_copy(cmd, t->gz, hb_g_value(t->gen, t->gen->output, B));
}

/* Langevin steps first..last-1 (joint: on Y and Z, else on Y given G(Z)); leaves X = G(Z) +
 * Y_last in t->x. The whole chain is one call; hb_trainer_trajectory makes it in pieces. */
static void record_langevin(hb_trainer *t, hb_cmd *cmd, int first, int last) {
    hb_chain ch = chain_of(t);
    if (joint_chain(&t->cfg)) hb_chain_record_joint(cmd, &ch, first, last);
    else hb_chain_record_conditional(cmd, &ch, first, last);
    hb_add(cmd, t->x, t->gz, t->y);
}

static void record_chain(hb_trainer *t, hb_cmd *cmd) {
    record_chain_start(t, cmd);
    record_langevin(t, cmd, 0, t->cfg.mcmc_steps);
}

/* The residual's norm and the last chain step's energy gradient dH/dx / T, per sample
 * (before clipping): read before the EBM's backward pass reuses the gradient buffers. Means
 * over the whole batch (Bg chains), of which this process sums its share. */
static void record_chain_metrics(hb_trainer *t, hb_cmd *cmd) {
    const hb_train_cfg *c = &t->cfg;
    int B = t->B, Bg = c->batch_size;
    hb_reduce_sumsq(cmd, metric(t, METRIC_RES_SQNORM), t->y, 1.0f / Bg);
    hb_sqnorm_rows(cmd, t->scratch, hb_g_grad(t->hat, 0, B), B, t->D);
    hb_reduce_sum(cmd, metric(t, METRIC_GRAD_SQNORM), t->scratch,
                  1.0f / (Bg * c->mcmc_temp * c->mcmc_temp));
}

/* EBM gradients on [data + data_epsilon noise ; X]: loss (mean H(x+) - mean H(x-)) / T, eq. 8,
 * plus energy_l2 * (mean of H(x+)^2 + mean of H(x-)^2) / T when set (Du and Mordatch 2019:
 * nothing else in the loss bounds H's scale, whose growth is the runaway); the means over the
 * whole batch (Bg): summed over the processes, their gradients are one process's. */
static void record_ebm_gradients(hb_trainer *t, hb_cmd *cmd) {
    const hb_train_cfg *c = &t->cfg;
    int B = t->B, Bg = c->batch_size;
    uint32_t BD = (uint32_t)(B * t->D);
    hb_tensor x2 = hb_g_value(t->hat, 0, 2 * B);
    hb_tensor pos = hb_slice(x2, 0, BD), neg = hb_slice(x2, BD, BD);
    hb_cmd_copy(cmd, neg, t->x);
    hb_randn_at(cmd, t->noise, t->counter, c->seed, HB_STREAM_DATA_NOISE,
                (uint32_t)(t->row0 * t->D));
    hb_cmd_copy(cmd, pos, t->data);
    hb_axpby(cmd, pos, t->noise, c->data_epsilon, 1.0f);
    hb_g_forward(t->hat, cmd, 2 * B);
    hb_tensor e = hb_g_value(t->hat, t->hat->output, 2 * B);
    hb_tensor ge = hb_g_grad(t->hat, t->hat->output, 2 * B);
    hb_reduce_sum(cmd, metric(t, METRIC_E_POS), hb_slice(e, 0, (uint32_t)B), 1.0f / Bg);
    hb_reduce_sum(cmd, metric(t, METRIC_E_NEG), hb_slice(e, (uint32_t)B, (uint32_t)B), 1.0f / Bg);
    record_chain_metrics(t, cmd);
    float w = 1.0f / ((float)Bg * c->mcmc_temp);
    hb_fill(cmd, hb_slice(ge, 0, (uint32_t)B), w);
    hb_fill(cmd, hb_slice(ge, (uint32_t)B, (uint32_t)B), -w);
    if (c->energy_l2 > 0) hb_axpby(cmd, ge, e, 2.0f * c->energy_l2 * w, 1.0f); /* d(a H^2)/dH */
    hb_g_backward(t->hat, cmd, 2 * B, 1, 0);
}

/* Generator gradients on a batch of the historical bank: factor * MSE of G(Z_bank) to X_bank
 * (Appendix F). Every process drew the same Bg slots; it trains on its rows of them, the MSE's
 * mean taken over the whole batch. */
static void record_gen_gradients(hb_trainer *t, hb_cmd *cmd) {
    const hb_train_cfg *c = &t->cfg;
    int B = t->B, M = c->persistent_size;
    hb_tensor zin = hb_g_value(t->gen, 0, B);
    hb_tensor idx = hb_slice(t->bank_idx, (uint32_t)t->row0, (uint32_t)B); /* this process's */
    hb_cmd_copy(cmd, t->z, zin); /* this iteration's Z, before the bank batch replaces it */
    hb_gather_rows(cmd, zin, t->bank_z, idx, B, HB_NZ, M);
    hb_gather_rows(cmd, t->bank_xb, t->bank_x, idx, B, t->D, M);
    hb_g_forward(t->gen, cmd, B);
    hb_mse(cmd, metric(t, METRIC_GEN_LOSS), hb_g_grad(t->gen, t->gen->output, B),
           hb_g_value(t->gen, t->gen->output, B), t->bank_xb,
           c->gen_loss_factor_coop / (float)processes(c));
    hb_g_backward(t->gen, cmd, B, 1, 0);
}

/* The bank batch's slots get this iteration's (Z, X) pairs, every process's: Algorithm 1's
 * historical update, so each process keeps the whole bank. */
static void record_bank_update(hb_trainer *t, hb_cmd *cmd) {
    int Bg = t->cfg.batch_size, M = t->cfg.persistent_size;
    hb_scatter_rows(cmd, t->bank_z, t->all_z, t->bank_idx, Bg, HB_NZ, M);
    hb_scatter_rows(cmd, t->bank_x, t->all_x, t->bank_idx, Bg, t->D, M);
}

/* Autoencoder gradients: x + data_epsilon noise -> encoder -> sphere -> decoder; loss_factor *
 * MSE against the clean x (the mean over the whole batch). */
static void record_ae_gradients(hb_trainer *t, hb_cmd *cmd) {
    const hb_train_cfg *c = &t->cfg;
    int B = t->B;
    hb_tensor xin = hb_g_value(t->enc, 0, B), xr = hb_g_value(t->gen, t->gen->output, B);
    hb_randn_at(cmd, t->noise, t->counter, c->seed, HB_STREAM_DATA_NOISE,
                (uint32_t)(t->row0 * t->D));
    hb_cmd_copy(cmd, xin, t->data);
    hb_axpby(cmd, xin, t->noise, c->data_epsilon, 1.0f);
    hb_g_forward(t->enc, cmd, B);
    hb_cmd_copy(cmd, hb_g_value(t->gen, 0, B), hb_g_value(t->enc, t->enc->output, B));
    hb_g_forward(t->gen, cmd, B);
    hb_mse(cmd, metric(t, METRIC_GEN_LOSS), hb_g_grad(t->gen, t->gen->output, B), xr, t->data,
           c->loss_factor / (float)processes(c));
    hb_g_backward(t->gen, cmd, B, 1, 1);
    hb_cmd_copy(cmd, hb_g_grad(t->enc, t->enc->output, B), hb_g_grad(t->gen, 0, B));
    hb_g_backward(t->enc, cmd, B, 1, 0);
    hb_cmd_copy(cmd, t->x, xr);
    hb_cmd_copy(cmd, t->gz, t->data);
    hb_cmd_copy(cmd, t->y, xr); /* the grids' "residual" row: reconstruction - input */
    hb_axpby(cmd, t->y, xin, -1.0f, 1.0f);
}

#define SUM_ROW 4096u /* floats per partial sum: rows are summed in parallel */

/* The tensors the state sum covers: every weight (after the update) and the whole batch's
 * samples X (the same sum on every process). A NaN
 * or Inf in them need not reach the energies (ReLU and tanh can swallow it), so the sum is
 * what catches it in the step it appears. */
static int state_tensors(const hb_trainer *t, hb_tensor *out) {
    int n = 0;
    const hb_graph *nets[3] = {t->hat, t->gen, t->enc};
    for (int k = 0; k < 3; k++)
        for (int c = 0; nets[k] && c < nets[k]->weights.n; c++) out[n++] = nets[k]->weights.t[c];
    out[n++] = t->all_x;
    return n;
}

static uint32_t sum_slots(hb_tensor x) { return x.n / SUM_ROW + 1; }

/* The sum of every state tensor, through t->partials. */
static void record_state_sum(hb_trainer *t, hb_cmd *cmd) {
    hb_tensor ts[3 * HB_G_MAX_CHUNKS + 1];
    int n = state_tensors(t, ts);
    uint32_t at = 0;
    for (int i = 0; i < n; i++) {
        uint32_t rows = ts[i].n / SUM_ROW, tail = ts[i].n % SUM_ROW;
        if (rows)
            hb_channel_sum(cmd, hb_slice(t->partials, at, rows), hb_slice(ts[i], 0, rows * SUM_ROW),
                           HB_NONE, 1, (int)rows, (int)SUM_ROW);
        if (tail)
            hb_reduce_sum(cmd, hb_slice(t->partials, at + rows, 1),
                          hb_slice(ts[i], rows * SUM_ROW, tail), 1.0f);
        at += sum_slots(ts[i]);
    }
    hb_reduce_sum(cmd, metric(t, METRIC_STATE_SUM), t->partials, 1.0f);
}

/* An iteration up to the gradients. synth is Algorithm 1; joint its first three steps over a
 * frozen generator; ae trains the autoencoder alone. */
static void record_gradients(hb_trainer *t, hb_cmd *cmd) {
    if (t->cfg.mode == HB_MODE_AE) {
        record_ae_gradients(t, cmd);
        return;
    }
    record_chain_start(t, cmd);                    /* Z ~ N(0, I), Y_0 */
    record_langevin(t, cmd, 0, t->cfg.mcmc_steps); /* K steps: X = G(Z) + Y_K */
    record_ebm_gradients(t, cmd);                  /* data versus X */
    if (t->cfg.mode == HB_MODE_SYNTH)
        record_gen_gradients(t, cmd); /* G on a batch of (Z, X) pairs from the bank */
}

/* The rest, from the (summed) gradients: Adam + EMA on each trained network, the bank. */
static void record_updates(hb_trainer *t, hb_cmd *cmd) {
    if (t->hat) hb_optim_record(cmd, &t->hat_opt, t->hat);
    if (t->cfg.mode != HB_MODE_JOINT) hb_optim_record(cmd, &t->gen_opt, t->gen);
    if (t->enc) hb_optim_record(cmd, &t->enc_opt, t->enc);
    if (t->cfg.mode == HB_MODE_SYNTH) record_bank_update(t, cmd); /* this iteration's pairs */
    record_state_sum(t, cmd);
}

/* ---- set-up ---- */

/* The bank starts as (Z, G(Z)) for Z ~ N(0, I) under the initial generator, drawn by batches
 * of batch_size; every process makes the whole bank, through the generator in pieces of its
 * share of a batch. */
static void init_bank(hb_trainer *t) {
    const hb_train_cfg *c = &t->cfg;
    int Bg = c->batch_size, M = c->persistent_size;
    hb_cmd *cmd = hb_cmd_create(t->ctx);
    hb_cmd_begin(cmd);
    for (int at = 0; at < M; at += Bg) {
        int n = M - at < Bg ? M - at : Bg;
        hb_tensor z = hb_slice(t->bank_z, (uint32_t)at * HB_NZ, (uint32_t)n * HB_NZ);
        hb_randn(cmd, z, t->counter, c->seed, HB_STREAM_BANK_INIT + (uint32_t)at);
        for (int part = 0; part < n; part += t->B) {
            int m = n - part < t->B ? n - part : t->B;
            hb_cmd_copy(cmd, hb_g_value(t->gen, 0, m),
                        hb_slice(z, (uint32_t)part * HB_NZ, (uint32_t)m * HB_NZ));
            hb_g_forward(t->gen, cmd, m);
            hb_cmd_copy(cmd,
                        hb_slice(t->bank_x, (uint32_t)((at + part) * t->D), (uint32_t)(m * t->D)),
                        hb_g_value(t->gen, t->gen->output, m));
        }
    }
    hb_cmd_end(cmd);
    hb_cmd_run(cmd);
    hb_cmd_destroy(cmd);
}

/* Loads a frozen generator: a plain weights file, or one whose names carry "gen." (as our
 * checkpoints and exports of other tools may). */
static int load_generator(hb_graph *gen, const char *path, char *err, size_t errlen) {
    hb_st_file f;
    if (hb_st_load(path, &f, err, errlen) != 0) return -1;
    const char *prefix = hb_st_find(&f, "gen.out.weight") ? "gen." : "";
    int rc = hb_g_load_params(gen, &f, prefix, err, errlen);
    hb_st_free(&f);
    return rc;
}

size_t hb_trainer_plan_bytes(hb_ctx *ctx, const hb_train_cfg *c) {
    size_t B = (size_t)local_batch(c), D = (size_t)c->nch * c->res * c->res;
    size_t M = c->mode == HB_MODE_SYNTH ? (size_t)c->persistent_size : 0;
    hb_graph *gen = hb_train_build_generator(ctx, c);
    hb_graph *other = c->mode == HB_MODE_AE ? hb_train_build_encoder(ctx, c)
                                            : hb_train_build_hat(ctx, c);
    /* the networks; Adam's m, v and the EMA of each trained one */
    size_t floats = hb_g_plan_floats(gen, (int)B) +
                    hb_g_plan_floats(other, c->mode == HB_MODE_AE ? (int)B : 2 * (int)B) +
                    3 * (size_t)other->nparam_floats +
                    (c->mode != HB_MODE_JOINT ? 3 * (size_t)gen->nparam_floats : 0);
    /* X, Y, G(Z), data, noise, the bank batch; Z; the bank; the state sum's partials */
    /* several processes: the whole batch's Z and X */
    size_t Bg = processes(c) > 1 ? (size_t)c->batch_size : 0;
    floats += 6 * B * D + B * HB_NZ + M * (HB_NZ + D) + Bg * (HB_NZ + D) +
              (gen->nparam_floats + other->nparam_floats + B * D) / SUM_ROW;
    hb_g_free(gen);
    hb_g_free(other);
    return floats * sizeof(float);
}

/* The chains' buffers (this process's rows), the bank, the state sum's partial sums. */
static void alloc_buffers(hb_trainer *t) {
    const hb_train_cfg *c = &t->cfg;
    hb_ctx *ctx = t->ctx;
    int B = t->B, Bg = c->batch_size, M = c->mode == HB_MODE_SYNTH ? c->persistent_size : 0;
    size_t BD = (size_t)B * t->D;
    t->x = hb_alloc(ctx, BD);
    t->y = hb_alloc(ctx, BD);
    t->gz = hb_alloc(ctx, BD);
    t->scratch = hb_alloc(ctx, B);
    t->z = hb_alloc(ctx, (size_t)B * HB_NZ);
    t->data = hb_alloc(ctx, BD);
    t->noise = hb_alloc(ctx, BD);
    t->counter = hb_alloc(ctx, 1);
    t->metrics = hb_alloc(ctx, METRIC_COUNT);
    t->bank_idx = hb_alloc(ctx, Bg);
    t->bank_xb = hb_alloc(ctx, BD);
    t->all_z = t->z, t->all_x = t->x;
    if (processes(c) > 1) {
        t->all_z = hb_alloc(ctx, (size_t)Bg * HB_NZ);
        t->all_x = hb_alloc(ctx, (size_t)Bg * t->D);
    }
    if (M) {
        t->bank_z = hb_alloc(ctx, (size_t)M * HB_NZ);
        t->bank_x = hb_alloc(ctx, (size_t)M * t->D);
    }
    hb_tensor ts[3 * HB_G_MAX_CHUNKS + 1];
    uint32_t slots = 0;
    for (int i = 0, n = state_tensors(t, ts); i < n; i++) slots += sum_slots(ts[i]);
    t->partials = hb_alloc(ctx, slots);
}

/* One process: the iteration in one recording. Several: up to the gradients, then (after the
 * host sums them over the processes) the rest. */
static void record_iteration(hb_trainer *t) {
    t->iter = hb_cmd_create(t->ctx);
    hb_cmd_begin(t->iter);
    record_gradients(t, t->iter);
    hb_cmd *rest = t->iter;
    if (processes(&t->cfg) > 1) {
        hb_cmd_end(t->iter);
        rest = t->update = hb_cmd_create(t->ctx);
        hb_cmd_begin(rest);
    }
    record_updates(t, rest);
    hb_cmd_end(rest);
}

hb_trainer *hb_trainer_new(hb_ctx *ctx, const hb_train_cfg *cfg, const char *generator,
                           char *err, size_t errlen) {
    if (cfg->mode == HB_MODE_CLASSIFIER) {
        snprintf(err, errlen, "mode classifier is trained by hb_classifier, not the EBM trainer");
        return NULL;
    }
    if (cfg->batch_size % processes(cfg) != 0) {
        snprintf(err, errlen, "batch_size %d does not split over %d processes: choose a multiple "
                              "of %d, or another number of processes", cfg->batch_size,
                 processes(cfg), processes(cfg));
        return NULL;
    }
    hb_trainer *t = calloc(1, sizeof *t);
    t->ctx = ctx;
    t->cfg = *cfg;
    const hb_train_cfg *c = &t->cfg;
    int B = local_batch(c), M = c->mode == HB_MODE_SYNTH ? c->persistent_size : 0;
    t->B = B;
    t->row0 = (c->procs > 1 ? c->rank : 0) * B;
    t->D = c->nch * c->res * c->res;
    if (uses_decoder(c) && c->res != 32) {
        snprintf(err, errlen, "the retrofit autoencoder is defined at 32x32 (image_size %d)", c->res);
        free(t);
        return NULL;
    }
    t->gen = hb_train_build_generator(ctx, c);
    hb_g_finalize(t->gen, B);
    hb_g_init_params(t->gen, c->seed + 1);
    if (c->mode == HB_MODE_JOINT && load_generator(t->gen, generator, err, errlen) != 0) {
        hb_g_free(t->gen);
        free(t);
        return NULL;
    }
    if (c->mode == HB_MODE_AE) {
        t->enc = hb_train_build_encoder(ctx, c);
        hb_g_finalize(t->enc, B);
        hb_g_init_params(t->enc, c->seed + 2);
        hb_optim_init(ctx, &t->enc_opt, t->enc, c->ema_decay, 0);
    } else {
        t->hat = hb_train_build_hat(ctx, c);
        hb_g_finalize(t->hat, 2 * B);
        hb_g_init_params(t->hat, c->seed);
        hb_optim_init(ctx, &t->hat_opt, t->hat, c->ema_decay, c->max_grad_norm);
    }
    if (c->mode != HB_MODE_JOINT) hb_optim_init(ctx, &t->gen_opt, t->gen, c->ema_decay, 0);
    alloc_buffers(t);
    t->host_rng = c->seed ^ 0x5eed5eedull;
    if (M) {
        t->perm = malloc((size_t)M * sizeof *t->perm);
        for (int i = 0; i < M; i++) t->perm[i] = i;
        init_bank(t);
    }
    record_iteration(t);
    return t;
}

void hb_trainer_free(hb_trainer *t) {
    if (!t) return;
    hb_ctx *ctx = t->ctx;
    hb_cmd_destroy(t->iter);
    hb_cmd_destroy(t->update);
    hb_cmd_destroy(t->chain);
    hb_cmd_destroy(t->traj);
    hb_tensor ts[] = {t->x, t->y,      t->gz,     t->scratch,  t->z,       t->data,   t->noise,
                      t->counter, t->bank_z, t->bank_x,  t->bank_idx, t->bank_xb, t->metrics,
                      t->partials, t->traj_x, t->traj_g, t->traj_y, t->traj_e};
    for (size_t i = 0; i < sizeof ts / sizeof *ts; i++) hb_free(ctx, ts[i]);
    if (processes(&t->cfg) > 1) hb_free(ctx, t->all_z), hb_free(ctx, t->all_x);
    if (t->hat) hb_optim_free(ctx, t->hat, &t->hat_opt);
    if (t->enc) hb_optim_free(ctx, t->enc, &t->enc_opt);
    if (t->cfg.mode != HB_MODE_JOINT) hb_optim_free(ctx, t->gen, &t->gen_opt);
    hb_g_free(t->hat);
    hb_g_free(t->gen);
    hb_g_free(t->enc);
    free(t->perm);
    free(t);
}

static uint64_t next_u64(uint64_t *x) {
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* Host-side values of one iteration: counter, learning rates, distinct bank slots (the same on
 * every process: they all draw the whole batch's). */
static void write_iteration_inputs(hb_trainer *t, float lr_ebm, float lr_gen) {
    const hb_train_cfg *c = &t->cfg;
    float counter = (float)t->iteration;
    hb_upload(t->ctx, t->counter, &counter);
    if (t->hat) hb_optim_hyper(t->ctx, &t->hat_opt, lr_ebm, t->iteration + 1);
    if (c->mode != HB_MODE_JOINT) hb_optim_hyper(t->ctx, &t->gen_opt, lr_gen, t->iteration + 1);
    if (t->enc) hb_optim_hyper(t->ctx, &t->enc_opt, lr_gen, t->iteration + 1);
    if (c->mode != HB_MODE_SYNTH) return;
    int B = c->batch_size, M = c->persistent_size;
    float *idx = malloc((size_t)B * sizeof *idx);
    for (int i = 0; i < B; i++) { /* partial Fisher-Yates: B distinct slots */
        int j = i + (int)(next_u64(&t->host_rng) % (uint64_t)(M - i));
        int tmp = t->perm[i];
        t->perm[i] = t->perm[j], t->perm[j] = tmp;
        idx[i] = (float)t->perm[i];
    }
    hb_upload(t->ctx, t->bank_idx, idx);
    free(idx);
}

/* g's gradients summed over the processes, through the host. */
static void sum_gradients(hb_graph *g) {
    float *flat = hb_g_download_flat(g, &g->grads);
    hb_dist_sum(flat, g->nparam_floats);
    hb_g_upload_flat(g, &g->grads, flat);
    free(flat);
}

/* all = every process's rows of mine, in rank order: the whole batch's. */
static void gather_rows(hb_trainer *t, hb_tensor all, hb_tensor mine) {
    float *host = malloc((size_t)all.n * sizeof *host), *rows = malloc((size_t)mine.n * 4);
    hb_download(t->ctx, mine, rows);
    hb_dist_gather(rows, host, mine.n);
    hb_upload(t->ctx, all, host);
    free(host), free(rows);
}

/* Several processes, between the two recordings: the metrics' and gradients' sums, the whole
 * batch's X (and Z for the bank). v: the metrics, summed. */
static void exchange(hb_trainer *t, float *v) {
    hb_download(t->ctx, t->metrics, v);
    hb_dist_sum(v, METRIC_STATE_SUM); /* the slots before it: shares of means over the batch */
    if (t->hat) sum_gradients(t->hat);
    if (t->cfg.mode != HB_MODE_JOINT) sum_gradients(t->gen);
    if (t->enc) sum_gradients(t->enc);
    gather_rows(t, t->all_x, t->x);
    if (t->cfg.mode == HB_MODE_SYNTH) gather_rows(t, t->all_z, t->z);
}

void hb_trainer_step(hb_trainer *t, const float *data, float lr_ebm, float lr_gen,
                     hb_train_metrics *m) {
    double t0 = hb_now_s();
    write_iteration_inputs(t, lr_ebm, lr_gen);
    hb_upload(t->ctx, t->data, data);
    hb_cmd_submit(t->iter);
    double t1 = hb_now_s();
    hb_cmd_wait(t->iter);
    double t2 = hb_now_s();
    float v[METRIC_COUNT];
    if (t->update) {
        exchange(t, v);
        float sums[METRIC_STATE_SUM];
        memcpy(sums, v, sizeof sums);
        hb_cmd_run(t->update);
        hb_download(t->ctx, t->metrics, v);
        memcpy(v, sums, sizeof sums);
        t2 = hb_now_s(); /* device and exchange counted together: they alternate */
    } else {
        hb_download(t->ctx, t->metrics, v);
    }
    if (m) {
        float res = v[METRIC_RES_SQNORM], grad = v[METRIC_GRAD_SQNORM];
        m->e_pos = v[METRIC_E_POS];
        m->e_neg = v[METRIC_E_NEG];
        m->ebm_loss = (m->e_pos - m->e_neg) / t->cfg.mcmc_temp;
        m->gen_loss = v[METRIC_GEN_LOSS];
        m->res_norm = sqrtf(res > 0 ? res : 0);
        m->grad_norm = sqrtf(grad > 0 ? grad : 0);
        m->state_sum = v[METRIC_STATE_SUM];
        m->host_s = (t1 - t0) + (hb_now_s() - t2);
        m->device_s = t2 - t1;
    }
    t->iteration++;
}

long hb_trainer_iteration(const hb_trainer *t) { return t->iteration; }
hb_graph *hb_trainer_hat(hb_trainer *t) { return t->hat; }
hb_graph *hb_trainer_gen(hb_trainer *t) { return t->gen; }

void hb_trainer_sample(hb_trainer *t) {
    if (!t->hat) hb_die(1, "the autoencoder has no Langevin chain");
    if (!t->chain) {
        t->chain = hb_cmd_create(t->ctx);
        hb_cmd_begin(t->chain);
        record_chain(t, t->chain);
        hb_cmd_end(t->chain);
    }
    float counter = (float)t->iteration;
    hb_upload(t->ctx, t->counter, &counter);
    hb_cmd_run(t->chain);
}

/* The chain in pieces between the snapshot steps; after each piece X, G(Z), Y and H(X) of
 * the first n chains are copied out (H needs one more forward pass on X). */
static void record_trajectory(hb_trainer *t, hb_cmd *cmd) {
    int B = t->B, n = t->traj_n;
    uint32_t nD = (uint32_t)(n * t->D);
    hb_tensor hat_in = hb_g_value(t->hat, 0, B), hat_out = hb_g_value(t->hat, t->hat->output, B);
    for (int s = 0, done = 0; s < t->traj_S; done = t->traj_steps[s++]) {
        if (s == 0) record_chain_start(t, cmd);
        record_langevin(t, cmd, done, t->traj_steps[s]);
        hb_cmd_copy(cmd, hb_slice(t->traj_x, s * nD, nD), hb_slice(t->x, 0, nD));
        hb_cmd_copy(cmd, hb_slice(t->traj_g, s * nD, nD), hb_slice(t->gz, 0, nD));
        hb_cmd_copy(cmd, hb_slice(t->traj_y, s * nD, nD), hb_slice(t->y, 0, nD));
        hb_cmd_copy(cmd, hat_in, t->x);
        hb_g_forward(t->hat, cmd, B);
        hb_cmd_copy(cmd, hb_slice(t->traj_e, (uint32_t)(s * n), (uint32_t)n),
                    hb_slice(hat_out, 0, (uint32_t)n));
    }
}

void hb_trainer_trajectory(hb_trainer *t, int n, int S, const int *steps, float *x, float *g,
                           float *y, float *energy) {
    if (!t->hat) hb_die(1, "the autoencoder has no Langevin chain");
    if (n < 1 || n > t->B || S < 1 || S > HB_TRAJ_MAX)
        hb_die(1, "hb_trainer_trajectory: %d chains (1..%d), %d snapshots (1..%d)", n, t->B, S,
               HB_TRAJ_MAX);
    for (int s = 0; s < S; s++)
        if (steps[s] < (s ? steps[s - 1] : 0) || steps[s] > t->cfg.mcmc_steps)
            hb_die(1, "hb_trainer_trajectory: chain steps must increase within 0..%d",
                   t->cfg.mcmc_steps);
    if (!t->traj || n != t->traj_n || S != t->traj_S ||
        memcmp(steps, t->traj_steps, (size_t)S * sizeof *steps) != 0) {
        hb_tensor old[] = {t->traj_x, t->traj_g, t->traj_y, t->traj_e};
        for (size_t i = 0; i < sizeof old / sizeof *old; i++) hb_free(t->ctx, old[i]);
        t->traj_n = n, t->traj_S = S;
        memcpy(t->traj_steps, steps, (size_t)S * sizeof *steps);
        size_t snap = (size_t)S * n * t->D;
        t->traj_x = hb_alloc(t->ctx, snap);
        t->traj_g = hb_alloc(t->ctx, snap);
        t->traj_y = hb_alloc(t->ctx, snap);
        t->traj_e = hb_alloc(t->ctx, (size_t)S * n);
        hb_cmd_destroy(t->traj);
        t->traj = hb_cmd_create(t->ctx);
        hb_cmd_begin(t->traj);
        record_trajectory(t, t->traj);
        hb_cmd_end(t->traj);
    }
    float counter = (float)t->iteration;
    hb_upload(t->ctx, t->counter, &counter);
    hb_cmd_run(t->traj);
    if (x) hb_download(t->ctx, t->traj_x, x);
    if (g) hb_download(t->ctx, t->traj_g, g);
    if (y) hb_download(t->ctx, t->traj_y, y);
    if (energy) hb_download(t->ctx, t->traj_e, energy);
}

void hb_trainer_samples(hb_trainer *t, float *x, float *g, float *y) {
    if (x) hb_download(t->ctx, t->x, x);
    if (g) hb_download(t->ctx, t->gz, g);
    if (y) hb_download(t->ctx, t->y, y);
}
