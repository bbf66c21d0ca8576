/* The synth, joint and ae trainers: one recorded command buffer per iteration, replayed. */
#include "train/trainer.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train/joint.h"
#include "train/optim.h"

#define CHECKPOINT_FORMAT "hatebm-checkpoint-1"

/* RNG streams: Langevin step k uses streams below 2^20 (the joint chain 2k and 2k+1). */
enum { STREAM_Z = 1 << 20, STREAM_DATA_NOISE, STREAM_Y0, STREAM_BANK_INIT };

struct hb_trainer {
    hb_ctx *ctx;
    hb_train_cfg cfg;
    hb_graph *hat, *gen, *enc; /* ae: gen is the decoder and there is no hat */
    hb_optim hat_opt, gen_opt, enc_opt;
    int D;                    /* floats per image */
    hb_tensor x, y, gz;       /* the chain's X = G(Z) + Y_K, residual Y, G(Z) */
    hb_tensor scratch;        /* per-sample norms */
    hb_tensor z;              /* synth: this iteration's Z (the generator's input is reused) */
    hb_tensor data, noise;    /* positive batch and its data_epsilon noise */
    hb_tensor counter;        /* iteration number (as a float): seeds every draw */
    hb_tensor bank_z, bank_x, bank_idx, bank_xb;
    hb_tensor metrics;        /* e_pos, e_neg, gen or ae loss, mean squared residual norm,
                                 mean squared Langevin gradient norm, state sum */
    hb_tensor partials;       /* partial sums of the state sum */
    hb_cmd *iter, *chain;
    /* hb_trainer_trajectory: its recording, snapshot buffers and the plan they were made for */
    hb_cmd *traj;
    hb_tensor traj_x, traj_g, traj_y, traj_e;
    int traj_n, traj_S, traj_steps[HB_TRAJ_MAX];
    long iteration;
    uint64_t host_rng;
    int *perm;
};

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
        .ema_decay = c->ema_decay, .max_grad_norm = c->max_grad_norm, .seed = c->seed};
}

/* Steps first..last-1 of the chain. With `start`, first draws Z ~ N(0, I) * init_scale_latent
 * into the generator's input and Y_0 = init_scale_res * N(0, I). Then joint (Y and Z
 * alternating) or conditional (Y only, G(Z) fixed). Leaves X = G(Z) + Y_last in t->x, G(Z) in
 * t->gz. The whole chain is one call (record_chain); hb_trainer_trajectory records it in
 * pieces. */
static void record_chain_part(hb_trainer *t, hb_cmd *cmd, int start, int first, int last) {
    const hb_train_cfg *c = &t->cfg;
    int B = c->batch_size;
    if (start) {
        hb_tensor z = hb_g_value(t->gen, 0, B);
        hb_randn(cmd, z, t->counter, c->seed, STREAM_Z);
        if (c->init_scale_latent != 1.0f) hb_axpby(cmd, z, z, c->init_scale_latent, 0.0f);
        if (c->init_scale_res > 0) {
            hb_randn(cmd, t->y, t->counter, c->seed, STREAM_Y0);
            hb_axpby(cmd, t->y, t->y, c->init_scale_res, 0.0f);
        } else {
            hb_fill(cmd, t->y, 0.0f);
        }
    }
    hb_tensor gout = hb_g_value(t->gen, t->gen->output, B);
    if (c->mode == HB_MODE_JOINT && c->update_latents) {
        hb_joint_cfg jc = {.steps = last - first, .eps_res = c->epsilon,
                           .eps_latent = c->epsilon_latent, .temp = c->mcmc_temp,
                           .max_norm_res = c->max_langevin_norm_res, .tau_res = c->tau_res,
                           .seed = c->seed, .first = first};
        /* the weights stay fixed along the chain: their Winograd transforms are made once */
        hb_g_freeze(t->hat, cmd);
        hb_g_freeze(t->gen, cmd);
        hb_joint_record_chain(cmd, t->hat, t->gen, t->y, t->scratch, t->counter, B, &jc);
        hb_g_thaw(t->hat);
        hb_g_thaw(t->gen);
        hb_cmd_copy(cmd, t->gz, gout);
        hb_cmd_copy(cmd, t->x, hb_g_value(t->hat, 0, B));
        return;
    }
    if (start) {
        hb_g_forward(t->gen, cmd, B);
        hb_cmd_copy(cmd, t->gz, gout);
    }
    hb_tensor x = hb_g_value(t->hat, 0, B), dx = hb_g_grad(t->hat, 0, B);
    hb_langevin_cfg lc = {.eps = c->epsilon, .grad_scale = 1.0f / c->mcmc_temp,
                          .max_norm = c->max_langevin_norm_res, .tau = c->tau_res, .seed = c->seed};
    hb_g_freeze(t->hat, cmd); /* fixed weights along the chain: transformed once */
    for (int k = first; k < last; k++) {
        hb_add(cmd, x, t->gz, t->y);
        hb_g_forward(t->hat, cmd, B);
        hb_fill(cmd, hb_g_grad(t->hat, t->hat->output, B), 1.0f);
        hb_g_backward(t->hat, cmd, B, 0, 1);
        lc.stream = (uint32_t)k;
        hb_langevin_step(cmd, t->y, dx, t->scratch, t->counter, B, t->D, &lc);
    }
    hb_g_thaw(t->hat);
    hb_add(cmd, t->x, t->gz, t->y);
}

static void record_chain(hb_trainer *t, hb_cmd *cmd) {
    record_chain_part(t, cmd, 1, 0, t->cfg.mcmc_steps);
}

/* EBM update on [data + data_epsilon noise ; X]: loss (mean H(x+) - mean H(x-)) / T, eq. 8 */
static void record_ebm_update(hb_trainer *t, hb_cmd *cmd) {
    const hb_train_cfg *c = &t->cfg;
    int B = c->batch_size;
    uint32_t BD = (uint32_t)(B * t->D);
    hb_tensor x2 = hb_g_value(t->hat, 0, 2 * B);
    hb_tensor pos = hb_slice(x2, 0, BD), neg = hb_slice(x2, BD, BD);
    hb_cmd_copy(cmd, neg, t->x);
    hb_randn(cmd, t->noise, t->counter, c->seed, STREAM_DATA_NOISE);
    hb_cmd_copy(cmd, pos, t->data);
    hb_axpby(cmd, pos, t->noise, c->data_epsilon, 1.0f);
    hb_g_forward(t->hat, cmd, 2 * B);
    hb_tensor e = hb_g_value(t->hat, t->hat->output, 2 * B);
    hb_tensor ge = hb_g_grad(t->hat, t->hat->output, 2 * B);
    hb_reduce_sum(cmd, hb_slice(t->metrics, 0, 1), hb_slice(e, 0, (uint32_t)B), 1.0f / B);
    hb_reduce_sum(cmd, hb_slice(t->metrics, 1, 1), hb_slice(e, (uint32_t)B, (uint32_t)B), 1.0f / B);
    hb_reduce_sumsq(cmd, hb_slice(t->metrics, 3, 1), t->y, 1.0f / B);
    /* the last chain step's energy gradient dH/dx / T, per sample (before clipping) */
    hb_sqnorm_rows(cmd, t->scratch, hb_g_grad(t->hat, 0, B), B, t->D);
    hb_reduce_sum(cmd, hb_slice(t->metrics, 4, 1), t->scratch, 1.0f / (B * c->mcmc_temp * c->mcmc_temp));
    float w = 1.0f / ((float)B * c->mcmc_temp);
    hb_fill(cmd, hb_slice(ge, 0, (uint32_t)B), w);
    hb_fill(cmd, hb_slice(ge, (uint32_t)B, (uint32_t)B), -w);
    hb_g_backward(t->hat, cmd, 2 * B, 1, 0);
    hb_optim_record(cmd, &t->hat_opt, t->hat);
}

/* Generator update on a bank batch (factor * MSE), then the batch's slots get the newest
 * (Z, X) pairs: Algorithm 1's historical update (Appendix F). */
static void record_gen_update(hb_trainer *t, hb_cmd *cmd) {
    const hb_train_cfg *c = &t->cfg;
    int B = c->batch_size, M = c->persistent_size;
    hb_tensor zin = hb_g_value(t->gen, 0, B);
    hb_cmd_copy(cmd, t->z, zin); /* this iteration's Z, before the bank batch replaces it */
    hb_gather_rows(cmd, zin, t->bank_z, t->bank_idx, B, HB_NZ, M);
    hb_gather_rows(cmd, t->bank_xb, t->bank_x, t->bank_idx, B, t->D, M);
    hb_g_forward(t->gen, cmd, B);
    hb_mse(cmd, hb_slice(t->metrics, 2, 1), hb_g_grad(t->gen, t->gen->output, B),
           hb_g_value(t->gen, t->gen->output, B), t->bank_xb, c->gen_loss_factor_coop);
    hb_g_backward(t->gen, cmd, B, 1, 0);
    hb_optim_record(cmd, &t->gen_opt, t->gen);
    hb_scatter_rows(cmd, t->bank_z, t->z, t->bank_idx, B, HB_NZ, M);
    hb_scatter_rows(cmd, t->bank_x, t->x, t->bank_idx, B, t->D, M);
}

/* Autoencoder: x + data_epsilon noise -> encoder -> sphere -> decoder; loss_factor * MSE
 * against the clean x. */
static void record_ae(hb_trainer *t, hb_cmd *cmd) {
    const hb_train_cfg *c = &t->cfg;
    int B = c->batch_size;
    hb_tensor xin = hb_g_value(t->enc, 0, B), xr = hb_g_value(t->gen, t->gen->output, B);
    hb_randn(cmd, t->noise, t->counter, c->seed, STREAM_DATA_NOISE);
    hb_cmd_copy(cmd, xin, t->data);
    hb_axpby(cmd, xin, t->noise, c->data_epsilon, 1.0f);
    hb_g_forward(t->enc, cmd, B);
    hb_cmd_copy(cmd, hb_g_value(t->gen, 0, B), hb_g_value(t->enc, t->enc->output, B));
    hb_g_forward(t->gen, cmd, B);
    hb_mse(cmd, hb_slice(t->metrics, 2, 1), hb_g_grad(t->gen, t->gen->output, B), xr, t->data,
           c->loss_factor);
    hb_g_backward(t->gen, cmd, B, 1, 1);
    hb_cmd_copy(cmd, hb_g_grad(t->enc, t->enc->output, B), hb_g_grad(t->gen, 0, B));
    hb_g_backward(t->enc, cmd, B, 1, 0);
    hb_optim_record(cmd, &t->gen_opt, t->gen);
    hb_optim_record(cmd, &t->enc_opt, t->enc);
    hb_cmd_copy(cmd, t->x, xr);
    hb_cmd_copy(cmd, t->gz, t->data);
    hb_cmd_copy(cmd, t->y, xr); /* the grids' "residual" row: reconstruction - input */
    hb_axpby(cmd, t->y, xin, -1.0f, 1.0f);
}

#define SUM_ROW 4096u /* floats per partial sum: rows are summed in parallel */

/* The tensors the state sum covers: every weight (after the update) and the samples X. A NaN
 * or Inf in them need not reach the energies (ReLU and tanh can swallow it), so the sum is
 * what catches it in the step it appears. */
static int state_tensors(const hb_trainer *t, hb_tensor *out) {
    int n = 0;
    const hb_graph *nets[3] = {t->hat, t->gen, t->enc};
    for (int k = 0; k < 3; k++)
        for (int c = 0; nets[k] && c < nets[k]->weights.n; c++) out[n++] = nets[k]->weights.t[c];
    out[n++] = t->x;
    return n;
}

static uint32_t sum_slots(hb_tensor x) { return x.n / SUM_ROW + 1; }

/* metrics[5] = the sum of every state tensor, through t->partials. */
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
    hb_reduce_sum(cmd, hb_slice(t->metrics, 5, 1), t->partials, 1.0f);
}

static void record_iteration(hb_trainer *t, hb_cmd *cmd) {
    if (t->cfg.mode == HB_MODE_AE) {
        record_ae(t, cmd);
    } else {
        record_chain(t, cmd);
        record_ebm_update(t, cmd);
        if (t->cfg.mode == HB_MODE_SYNTH) record_gen_update(t, cmd);
    }
    record_state_sum(t, cmd);
}

/* The bank starts as (Z, G(Z)) for Z ~ N(0, I) under the initial generator. */
static void init_bank(hb_trainer *t) {
    const hb_train_cfg *c = &t->cfg;
    int B = c->batch_size;
    hb_cmd *cmd = hb_cmd_create(t->ctx);
    hb_cmd_begin(cmd);
    for (int at = 0; at < c->persistent_size; at += B) {
        int n = c->persistent_size - at < B ? c->persistent_size - at : B;
        hb_tensor z = hb_slice(t->bank_z, (uint32_t)at * HB_NZ, (uint32_t)n * HB_NZ);
        hb_randn(cmd, z, t->counter, c->seed, STREAM_BANK_INIT + (uint32_t)at);
        hb_cmd_copy(cmd, hb_g_value(t->gen, 0, n), z);
        hb_g_forward(t->gen, cmd, n);
        hb_cmd_copy(cmd, hb_slice(t->bank_x, (uint32_t)(at * t->D), (uint32_t)(n * t->D)),
                    hb_g_value(t->gen, t->gen->output, n));
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

static int uses_decoder(const hb_train_cfg *c) {
    return c->mode == HB_MODE_AE || (c->mode == HB_MODE_JOINT && c->generator_is_decoder);
}

static hb_graph *build_gen(hb_ctx *ctx, const hb_train_cfg *c) {
    return uses_decoder(c) ? hb_build_decoder(ctx, c->nch, c->ngf_gen, c->gen_factor)
                           : hb_build_gen(ctx, c->res, c->nch, c->ngf_gen, c->gen_factor);
}

size_t hb_trainer_plan_bytes(hb_ctx *ctx, const hb_train_cfg *c) {
    size_t B = (size_t)c->batch_size, D = (size_t)c->nch * c->res * c->res;
    size_t M = c->mode == HB_MODE_SYNTH ? (size_t)c->persistent_size : 0;
    hb_graph *gen = build_gen(ctx, c);
    hb_graph *other = c->mode == HB_MODE_AE ? hb_build_encoder(ctx, c->nch, c->ngf_gen)
                                            : hb_build_hat(ctx, c->res, c->nch, c->ngf_hat);
    /* the networks; Adam's m, v and the EMA of each trained one */
    size_t floats = hb_g_plan_floats(gen, (int)B) +
                    hb_g_plan_floats(other, c->mode == HB_MODE_AE ? (int)B : 2 * (int)B) +
                    3 * (size_t)other->nparam_floats +
                    (c->mode != HB_MODE_JOINT ? 3 * (size_t)gen->nparam_floats : 0);
    /* X, Y, G(Z), data, noise, the bank batch; Z; the bank; the state sum's partials */
    floats += 6 * B * D + B * HB_NZ + M * (HB_NZ + D) +
              (gen->nparam_floats + other->nparam_floats + B * D) / SUM_ROW;
    hb_g_free(gen);
    hb_g_free(other);
    return floats * sizeof(float);
}

hb_trainer *hb_trainer_new(hb_ctx *ctx, const hb_train_cfg *cfg, const char *generator,
                           char *err, size_t errlen) {
    if (cfg->mode == HB_MODE_CLASSIFIER) {
        snprintf(err, errlen, "mode classifier is trained by hb_classifier, not the EBM trainer");
        return NULL;
    }
    hb_trainer *t = calloc(1, sizeof *t);
    t->ctx = ctx;
    t->cfg = *cfg;
    const hb_train_cfg *c = &t->cfg;
    int B = c->batch_size, M = c->mode == HB_MODE_SYNTH ? c->persistent_size : 0;
    t->D = c->nch * c->res * c->res;
    if (uses_decoder(c)) {
        if (c->res != 32) {
            snprintf(err, errlen, "the retrofit autoencoder is defined at 32x32 (image_size %d)", c->res);
            free(t);
            return NULL;
        }
    }
    t->gen = build_gen(ctx, c);
    hb_g_finalize(t->gen, B);
    hb_g_init_params(t->gen, c->seed + 1);
    if (c->mode == HB_MODE_JOINT && load_generator(t->gen, generator, err, errlen) != 0) {
        hb_g_free(t->gen);
        free(t);
        return NULL;
    }
    if (c->mode == HB_MODE_AE) {
        t->enc = hb_build_encoder(ctx, c->nch, c->ngf_gen);
        hb_g_finalize(t->enc, B);
        hb_g_init_params(t->enc, c->seed + 2);
        hb_optim_init(ctx, &t->enc_opt, t->enc, c->ema_decay, 0);
    } else {
        t->hat = hb_build_hat(ctx, c->res, c->nch, c->ngf_hat);
        hb_g_finalize(t->hat, 2 * B);
        hb_g_init_params(t->hat, c->seed);
        hb_optim_init(ctx, &t->hat_opt, t->hat, c->ema_decay, c->max_grad_norm);
    }
    if (c->mode != HB_MODE_JOINT) hb_optim_init(ctx, &t->gen_opt, t->gen, c->ema_decay, 0);
    size_t BD = (size_t)B * t->D;
    t->x = hb_alloc(ctx, BD);
    t->y = hb_alloc(ctx, BD);
    t->gz = hb_alloc(ctx, BD);
    t->scratch = hb_alloc(ctx, B);
    t->z = hb_alloc(ctx, (size_t)B * HB_NZ);
    t->data = hb_alloc(ctx, BD);
    t->noise = hb_alloc(ctx, BD);
    t->counter = hb_alloc(ctx, 1);
    t->metrics = hb_alloc(ctx, 6);
    t->bank_idx = hb_alloc(ctx, B);
    t->bank_xb = hb_alloc(ctx, BD);
    t->host_rng = c->seed ^ 0x5eed5eedull;
    if (M) {
        t->bank_z = hb_alloc(ctx, (size_t)M * HB_NZ);
        t->bank_x = hb_alloc(ctx, (size_t)M * t->D);
        t->perm = malloc((size_t)M * sizeof *t->perm);
        for (int i = 0; i < M; i++) t->perm[i] = i;
        init_bank(t);
    }
    hb_tensor ts[3 * HB_G_MAX_CHUNKS + 1];
    uint32_t slots = 0;
    for (int i = 0, n = state_tensors(t, ts); i < n; i++) slots += sum_slots(ts[i]);
    t->partials = hb_alloc(ctx, slots);
    t->iter = hb_cmd_create(ctx);
    hb_cmd_begin(t->iter);
    record_iteration(t, t->iter);
    hb_cmd_end(t->iter);
    return t;
}

void hb_trainer_free(hb_trainer *t) {
    if (!t) return;
    hb_ctx *ctx = t->ctx;
    hb_cmd_destroy(t->iter);
    hb_cmd_destroy(t->chain);
    hb_cmd_destroy(t->traj);
    hb_tensor ts[] = {t->x, t->y,      t->gz,     t->scratch,  t->z,       t->data,   t->noise,
                      t->counter, t->bank_z, t->bank_x,  t->bank_idx, t->bank_xb, t->metrics,
                      t->partials, t->traj_x, t->traj_g, t->traj_y, t->traj_e};
    for (size_t i = 0; i < sizeof ts / sizeof *ts; i++) hb_free(ctx, ts[i]);
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

/* Host-side values of one iteration: counter, learning rates, distinct bank slots. */
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

void hb_trainer_step(hb_trainer *t, const float *data, float lr_ebm, float lr_gen,
                     hb_train_metrics *m) {
    double t0 = hb_now_s();
    write_iteration_inputs(t, lr_ebm, lr_gen);
    hb_upload(t->ctx, t->data, data);
    hb_cmd_submit(t->iter);
    double t1 = hb_now_s();
    hb_cmd_wait(t->iter);
    double t2 = hb_now_s();
    float v[6];
    hb_download(t->ctx, t->metrics, v);
    if (m) {
        m->e_pos = v[0];
        m->e_neg = v[1];
        m->ebm_loss = (v[0] - v[1]) / t->cfg.mcmc_temp;
        m->gen_loss = v[2];
        m->res_norm = sqrtf(v[3] > 0 ? v[3] : 0);
        m->grad_norm = sqrtf(v[4] > 0 ? v[4] : 0);
        m->state_sum = v[5];
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
    int B = t->cfg.batch_size, n = t->traj_n;
    uint32_t nD = (uint32_t)(n * t->D);
    hb_tensor hat_in = hb_g_value(t->hat, 0, B), hat_out = hb_g_value(t->hat, t->hat->output, B);
    for (int s = 0, done = 0; s < t->traj_S; done = t->traj_steps[s++]) {
        record_chain_part(t, cmd, s == 0, done, t->traj_steps[s]);
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
    if (n < 1 || n > t->cfg.batch_size || S < 1 || S > HB_TRAJ_MAX)
        hb_die(1, "hb_trainer_trajectory: %d chains (1..%d), %d snapshots (1..%d)", n,
               t->cfg.batch_size, S, HB_TRAJ_MAX);
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

/* ---- checkpoints ---- */

typedef struct {
    float *bufs[32];
    int n;
} keep;
static float *kept(keep *k, float *p) { return k->bufs[k->n++] = p; }

static float *download_new(hb_ctx *ctx, hb_tensor t) {
    float *x = malloc((t.n ? t.n : 1) * sizeof *x);
    hb_download(ctx, t, x);
    return x;
}

/* Weights as named tensors under prefix, EMA weights under "ema."+prefix, Adam moments flat. */
static void add_net(hb_st_writer *w, keep *k, hb_graph *g, hb_optim *a,
                    const char *prefix) {
    char name[64];
    hb_g_add_tensors(g, w, prefix, kept(k, hb_g_download_flat(g, &g->weights)));
    if (!a) return;
    snprintf(name, sizeof name, "ema.%s", prefix);
    hb_g_add_tensors(g, w, name, kept(k, hb_g_download_flat(g, &a->ema)));
    int64_t n = g->nparam_floats;
    snprintf(name, sizeof name, "opt.%sm", prefix);
    hb_st_add(w, name, 1, &n, kept(k, hb_g_download_flat(g, &a->m)));
    snprintf(name, sizeof name, "opt.%sv", prefix);
    hb_st_add(w, name, 1, &n, kept(k, hb_g_download_flat(g, &a->v)));
}

int hb_trainer_save(hb_trainer *t, const char *path, char *err, size_t errlen) {
    hb_st_writer *w = hb_st_writer_new();
    keep k = {.n = 0};
    char buf[32];
    hb_st_meta(w, "format", CHECKPOINT_FORMAT);
    hb_st_meta(w, "mode", hb_mode_name(t->cfg.mode));
    snprintf(buf, sizeof buf, "%ld", t->iteration);
    hb_st_meta(w, "step", buf);
    snprintf(buf, sizeof buf, "%" PRIu64, t->host_rng);
    hb_st_meta(w, "host_rng", buf);
    if (t->hat) add_net(w, &k, t->hat, &t->hat_opt, "hat.");
    add_net(w, &k, t->gen, t->cfg.mode == HB_MODE_JOINT ? NULL : &t->gen_opt, "gen.");
    if (t->enc) add_net(w, &k, t->enc, &t->enc_opt, "enc.");
    if (t->perm) {
        int M = t->cfg.persistent_size;
        int64_t zs[2] = {M, HB_NZ}, xs[4] = {M, t->cfg.nch, t->cfg.res, t->cfg.res}, ps[1] = {M};
        float *perm = kept(&k, malloc((size_t)M * sizeof *perm));
        for (int i = 0; i < M; i++) perm[i] = (float)t->perm[i];
        hb_st_add(w, "bank.z", 2, zs, kept(&k, download_new(t->ctx, t->bank_z)));
        hb_st_add(w, "bank.x", 4, xs, kept(&k, download_new(t->ctx, t->bank_x)));
        hb_st_add(w, "bank.perm", 1, ps, perm);
    }
    int rc = hb_st_write(w, path, err, errlen);
    hb_st_writer_free(w);
    for (int i = 0; i < k.n; i++) free(k.bufs[i]);
    return rc;
}

/* Names in what the first of g's weights, EMA weights and Adam moments (a may be NULL) that
 * holds NaN or Inf, by its checkpoint name; 0 when all are finite. */
static int check_net(hb_graph *g, hb_optim *a, const char *prefix, char *what, size_t len) {
    const hb_g_flat *vec[4] = {&g->weights, a ? &a->ema : NULL, a ? &a->m : NULL,
                               a ? &a->v : NULL};
    static const char *fmt[4] = {"%s%s", "ema.%s%s", "opt.%sm (Adam's first moment of %s%s)",
                                 "opt.%sv (Adam's second moment of %s%s)"};
    for (int k = 0; k < 4 && vec[k]; k++) {
        float *flat = hb_g_download_flat(g, vec[k]);
        for (int i = 0; i < g->nparams; i++) {
            const hb_g_param_info *p = &g->params[i];
            if (hb_first_nonfinite(flat + p->off, p->n) < 0) continue;
            snprintf(what, len, fmt[k], prefix, k < 2 ? p->name : prefix, p->name);
            free(flat);
            return -1;
        }
        free(flat);
    }
    return 0;
}

int hb_trainer_check_finite(hb_trainer *t, char *what, size_t len) {
    if (t->hat && check_net(t->hat, &t->hat_opt, "hat.", what, len)) return -1;
    if (check_net(t->gen, t->cfg.mode == HB_MODE_JOINT ? NULL : &t->gen_opt, "gen.", what, len))
        return -1;
    if (t->enc && check_net(t->enc, &t->enc_opt, "enc.", what, len)) return -1;
    if (!t->perm) return 0;
    hb_tensor bank[2] = {t->bank_z, t->bank_x};
    for (int k = 0; k < 2; k++) {
        float *x = download_new(t->ctx, bank[k]);
        long at = hb_first_nonfinite(x, bank[k].n);
        free(x);
        if (at >= 0) {
            snprintf(what, len, "bank.%s (sample %ld of the historical bank)", k ? "x" : "z",
                     at / (k ? t->D : HB_NZ));
            return -1;
        }
    }
    return 0;
}

/* A vector of g's parameter layout, stored flat, from f into dst. */
static int load_flat(const hb_st_file *f, const char *name, const hb_graph *g,
                     const hb_g_flat *dst, char *err, size_t errlen) {
    int64_t n = g->nparam_floats;
    if (hb_st_expect(f, name, 1, &n, err, errlen) != 0) return -1;
    hb_g_upload_flat(g, dst, hb_st_find(f, name)->data);
    return 0;
}

static int load_net(const hb_st_file *f, hb_graph *g, hb_optim *a,
                    const char *prefix, char *err, size_t errlen) {
    char name[64];
    if (hb_g_load_into(g, f, prefix, &g->weights, err, errlen) != 0) return -1;
    if (!a) return 0;
    snprintf(name, sizeof name, "ema.%s", prefix);
    if (hb_g_load_into(g, f, name, &a->ema, err, errlen) != 0) return -1;
    snprintf(name, sizeof name, "opt.%sm", prefix);
    if (load_flat(f, name, g, &a->m, err, errlen) != 0) return -1;
    snprintf(name, sizeof name, "opt.%sv", prefix);
    return load_flat(f, name, g, &a->v, err, errlen);
}

int hb_trainer_load(hb_trainer *t, const char *path, char *err, size_t errlen) {
    hb_st_file f;
    if (hb_st_load(path, &f, err, errlen) != 0) return -1;
    int rc = -1;
    const char *format = hb_st_meta_get(&f, "format"), *mode = hb_st_meta_get(&f, "mode");
    const char *step = hb_st_meta_get(&f, "step"), *rng = hb_st_meta_get(&f, "host_rng");
    if (!format || strcmp(format, CHECKPOINT_FORMAT) != 0 || !step || !rng || !mode) {
        snprintf(err, errlen, "%s: not a hatebm checkpoint (metadata format/mode/step/host_rng "
                 "missing)", path);
        goto done;
    }
    if (strcmp(mode, hb_mode_name(t->cfg.mode)) != 0) {
        snprintf(err, errlen, "%s: a checkpoint of mode %s, but the config says mode %s", path,
                 mode, hb_mode_name(t->cfg.mode));
        goto done;
    }
    if (t->hat && load_net(&f, t->hat, &t->hat_opt, "hat.", err, errlen) != 0) goto done;
    if (load_net(&f, t->gen, t->cfg.mode == HB_MODE_JOINT ? NULL : &t->gen_opt, "gen.", err,
                 errlen) != 0)
        goto done;
    if (t->enc && load_net(&f, t->enc, &t->enc_opt, "enc.", err, errlen) != 0) goto done;
    if (t->perm) {
        int M = t->cfg.persistent_size;
        int64_t zs[2] = {M, HB_NZ}, xs[4] = {M, t->cfg.nch, t->cfg.res, t->cfg.res}, ps[1] = {M};
        if (hb_st_expect(&f, "bank.z", 2, zs, err, errlen) != 0 ||
            hb_st_expect(&f, "bank.x", 4, xs, err, errlen) != 0 ||
            hb_st_expect(&f, "bank.perm", 1, ps, err, errlen) != 0)
            goto done;
        hb_upload(t->ctx, t->bank_z, hb_st_find(&f, "bank.z")->data);
        hb_upload(t->ctx, t->bank_x, hb_st_find(&f, "bank.x")->data);
        const float *perm = hb_st_find(&f, "bank.perm")->data;
        char *seen = calloc((size_t)M, 1); /* a permutation: duplicate slots would race */
        for (int i = 0; i < M; i++) {
            if (!(perm[i] >= 0 && perm[i] < M) || seen[(int)perm[i]]) {
                snprintf(err, errlen, "%s: tensor 'bank.perm' holds %g at %d, expected a "
                         "permutation of 0..%d", path, perm[i], i, M - 1);
                free(seen);
                goto done;
            }
            seen[(int)perm[i]] = 1;
            t->perm[i] = (int)perm[i];
        }
        free(seen);
    }
    char *end;
    errno = 0;
    long it = strtol(step, &end, 10);
    int bad_step = errno || end == step || *end || it < 0;
    uint64_t hr = strtoull(rng, &end, 10);
    if (bad_step || errno || end == rng || *end || rng[0] == '-') {
        snprintf(err, errlen, "%s: metadata step '%.20s' or host_rng '%.24s' is not a whole "
                 "number: not a hatebm checkpoint", path, step, rng);
        goto done;
    }
    t->iteration = it;
    t->host_rng = hr;
    rc = 0;
done:
    hb_st_free(&f);
    return rc;
}

int hb_trainer_export_generator(hb_trainer *t, const char *path, char *err, size_t errlen) {
    if (t->cfg.mode == HB_MODE_JOINT) {
        snprintf(err, errlen, "a joint run's generator is frozen; use the file it was given");
        return -1;
    }
    hb_st_writer *w = hb_st_writer_new();
    float *ema = hb_g_download_flat(t->gen, &t->gen_opt.ema);
    /* the initial weights (seed as in hb_trainer_new) leave the EMA, then training resumes */
    float *w0 = hb_g_initial_weights(t->gen, t->cfg.seed + 1);
    hb_ema_debias(ema, w0, t->gen->nparam_floats, t->cfg.ema_decay, t->iteration);
    free(w0);
    hb_g_add_tensors(t->gen, w, "", ema);
    hb_st_meta(w, "network", t->cfg.mode == HB_MODE_AE ? "decoder" : "gen_sngan");
    int rc = hb_st_write(w, path, err, errlen);
    hb_st_writer_free(w);
    free(ema);
    return rc;
}
