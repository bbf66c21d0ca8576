/* Algorithm 1 (conditional Hat EBM with a historical bank), recorded once, replayed. */
#include "train/synth.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* RNG streams: Langevin step k uses stream k; these lie above any chain length. */
enum { STREAM_Z = 1 << 20, STREAM_DATA_NOISE, STREAM_BANK_INIT };

typedef struct {
    hb_tensor m, v, ema, hyper, sqnorm;
    hb_adam_cfg cfg;
} adam_state;

struct hb_synth {
    hb_ctx *ctx;
    hb_synth_cfg cfg;
    hb_graph *hat, *gen;
    adam_state hat_opt, gen_opt;
    int D;                    /* floats per image */
    hb_tensor y, gz, scratch; /* residual Y, G(Z), per-sample norms */
    hb_tensor z;              /* this iteration's Z */
    hb_tensor data, noise;    /* positive batch and its data_epsilon noise */
    hb_tensor counter;        /* iteration number (as a float), seeds every draw */
    hb_tensor bank_z, bank_x, bank_idx, bank_xb;
    hb_tensor metrics;        /* e_pos, e_neg, gen_loss */
    hb_cmd *iter, *chain;
    int iteration;
    uint64_t host_rng;
    int *perm;
};

static void adam_init(hb_ctx *ctx, adam_state *a, const hb_graph *g, float decay, float clip) {
    a->m = hb_alloc(ctx, g->nparam_floats);
    a->v = hb_alloc(ctx, g->nparam_floats);
    a->ema = hb_alloc(ctx, g->nparam_floats);
    a->hyper = hb_alloc(ctx, 4);
    a->sqnorm = hb_alloc(ctx, 1);
    a->cfg = (hb_adam_cfg){.beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f, .ema_decay = decay,
                           .max_grad_norm = clip};
}

static void adam_free(hb_ctx *ctx, adam_state *a) {
    hb_free(ctx, a->m), hb_free(ctx, a->v), hb_free(ctx, a->ema), hb_free(ctx, a->hyper);
    hb_free(ctx, a->sqnorm);
}

static void adam_record(hb_cmd *cmd, adam_state *a, hb_graph *g) {
    int clip = a->cfg.max_grad_norm > 0;
    if (clip) hb_reduce_sumsq(cmd, a->sqnorm, g->grads_t, 1.0f);
    hb_adam(cmd, g->params_t, g->grads_t, a->m, a->v, a->ema, a->hyper,
            clip ? a->sqnorm : HB_NONE, &a->cfg);
}

/* Z ~ N(0, I), G(Z) kept in s->gz; Y_0 = 0; K steps of Y <- Y - clip(eps^2/2 dH/dY / T) +
 * eps N(0, I) with the hat net at batch B; leaves X = G(Z) + Y_K in the hat's input. */
static void record_chain(hb_synth *s, hb_cmd *cmd) {
    const hb_synth_cfg *c = &s->cfg;
    int B = c->batch_size;
    hb_randn(cmd, s->z, s->counter, c->seed, STREAM_Z);
    hb_cmd_copy(cmd, hb_g_value(s->gen, 0, B), s->z);
    hb_g_forward(s->gen, cmd, B);
    hb_cmd_copy(cmd, s->gz, hb_g_value(s->gen, s->gen->output, B));
    hb_fill(cmd, s->y, 0.0f);
    hb_tensor x = hb_g_value(s->hat, 0, B), dx = hb_g_grad(s->hat, 0, B);
    hb_langevin_cfg lc = {.eps = c->epsilon, .grad_scale = 1.0f / c->mcmc_temp,
                          .max_norm = c->max_langevin_norm_res, .seed = c->seed};
    for (int k = 0; k < c->mcmc_steps; k++) {
        hb_add(cmd, x, s->gz, s->y);
        hb_g_forward(s->hat, cmd, B);
        hb_fill(cmd, hb_g_grad(s->hat, s->hat->output, B), 1.0f);
        hb_g_backward(s->hat, cmd, B, 0, 1);
        lc.stream = (uint32_t)k;
        hb_langevin_step(cmd, s->y, dx, s->scratch, s->counter, B, s->D, &lc);
    }
    hb_add(cmd, x, s->gz, s->y);
}

static void record_iteration(hb_synth *s, hb_cmd *cmd) {
    const hb_synth_cfg *c = &s->cfg;
    int B = c->batch_size, D = s->D;
    uint32_t BD = (uint32_t)(B * D);
    record_chain(s, cmd);

    /* EBM update on [data + data_epsilon noise ; X]: loss (mean H(x+) - mean H(x-)) / T */
    hb_tensor x2 = hb_g_value(s->hat, 0, 2 * B);
    hb_tensor pos = hb_slice(x2, 0, BD), neg = hb_slice(x2, BD, BD);
    hb_cmd_copy(cmd, neg, hb_g_value(s->hat, 0, B)); /* X (the chain left it in the first half) */
    hb_randn(cmd, s->noise, s->counter, c->seed, STREAM_DATA_NOISE);
    hb_cmd_copy(cmd, pos, s->data);
    hb_axpby(cmd, pos, s->noise, c->data_epsilon, 1.0f);
    hb_g_forward(s->hat, cmd, 2 * B);
    hb_tensor e = hb_g_value(s->hat, s->hat->output, 2 * B), ge = hb_g_grad(s->hat, s->hat->output, 2 * B);
    hb_reduce_sum(cmd, hb_slice(s->metrics, 0, 1), hb_slice(e, 0, (uint32_t)B), 1.0f / B);
    hb_reduce_sum(cmd, hb_slice(s->metrics, 1, 1), hb_slice(e, (uint32_t)B, (uint32_t)B), 1.0f / B);
    float w = 1.0f / ((float)B * c->mcmc_temp);
    hb_fill(cmd, hb_slice(ge, 0, (uint32_t)B), w);
    hb_fill(cmd, hb_slice(ge, (uint32_t)B, (uint32_t)B), -w);
    hb_g_backward(s->hat, cmd, 2 * B, 1, 0);
    adam_record(cmd, &s->hat_opt, s->hat);

    /* generator update on a bank batch: factor * MSE(G(z_bank), x_bank) */
    hb_gather_rows(cmd, hb_g_value(s->gen, 0, B), s->bank_z, s->bank_idx, B, HB_NZ, c->persistent_size);
    hb_gather_rows(cmd, s->bank_xb, s->bank_x, s->bank_idx, B, D, c->persistent_size);
    hb_g_forward(s->gen, cmd, B);
    hb_mse(cmd, hb_slice(s->metrics, 2, 1), hb_g_grad(s->gen, s->gen->output, B),
           hb_g_value(s->gen, s->gen->output, B), s->bank_xb, c->gen_loss_factor_coop);
    hb_g_backward(s->gen, cmd, B, 1, 0);
    adam_record(cmd, &s->gen_opt, s->gen);

    /* the batch's bank slots now hold the newest pairs */
    hb_scatter_rows(cmd, s->bank_z, s->z, s->bank_idx, B, HB_NZ, c->persistent_size);
    hb_scatter_rows(cmd, s->bank_x, neg, s->bank_idx, B, D, c->persistent_size);
}

/* The bank starts as (Z, G(Z)) for Z ~ N(0, I) under the initial generator. */
static void init_bank(hb_synth *s) {
    const hb_synth_cfg *c = &s->cfg;
    int B = c->batch_size;
    hb_cmd *cmd = hb_cmd_create(s->ctx);
    hb_cmd_begin(cmd);
    for (int at = 0; at < c->persistent_size; at += B) {
        int n = c->persistent_size - at < B ? c->persistent_size - at : B;
        hb_tensor z = hb_slice(s->bank_z, (uint32_t)at * HB_NZ, (uint32_t)n * HB_NZ);
        hb_randn(cmd, z, s->counter, c->seed, STREAM_BANK_INIT + (uint32_t)at);
        hb_cmd_copy(cmd, hb_g_value(s->gen, 0, n), z);
        hb_g_forward(s->gen, cmd, n);
        hb_cmd_copy(cmd, hb_slice(s->bank_x, (uint32_t)(at * s->D), (uint32_t)(n * s->D)),
                    hb_g_value(s->gen, s->gen->output, n));
    }
    hb_cmd_end(cmd);
    hb_cmd_run(cmd);
    hb_cmd_destroy(cmd);
}

hb_synth *hb_synth_new(hb_ctx *ctx, const hb_synth_cfg *cfg) {
    hb_synth *s = calloc(1, sizeof *s);
    s->ctx = ctx;
    s->cfg = *cfg;
    int B = cfg->batch_size, M = cfg->persistent_size;
    if (B < 1 || M < B) hb_die(2, "persistent_size (%d) must be at least batch_size (%d)", M, B);
    s->hat = hb_build_hat(ctx, cfg->res, cfg->nch, cfg->ngf_hat);
    s->gen = hb_build_gen(ctx, cfg->res, cfg->nch, cfg->ngf_gen, cfg->gen_factor);
    hb_g_finalize(s->hat, 2 * B);
    hb_g_finalize(s->gen, B);
    hb_g_init_params(s->hat, cfg->seed);
    hb_g_init_params(s->gen, cfg->seed + 1);
    adam_init(ctx, &s->hat_opt, s->hat, cfg->ema_decay, cfg->max_grad_norm);
    adam_init(ctx, &s->gen_opt, s->gen, cfg->ema_decay, 0);
    s->D = cfg->nch * cfg->res * cfg->res;
    size_t BD = (size_t)B * s->D;
    s->y = hb_alloc(ctx, BD);
    s->gz = hb_alloc(ctx, BD);
    s->scratch = hb_alloc(ctx, B);
    s->z = hb_alloc(ctx, (size_t)B * HB_NZ);
    s->data = hb_alloc(ctx, BD);
    s->noise = hb_alloc(ctx, BD);
    s->counter = hb_alloc(ctx, 1);
    s->bank_z = hb_alloc(ctx, (size_t)M * HB_NZ);
    s->bank_x = hb_alloc(ctx, (size_t)M * s->D);
    s->bank_idx = hb_alloc(ctx, B);
    s->bank_xb = hb_alloc(ctx, BD);
    s->metrics = hb_alloc(ctx, 4);
    s->host_rng = cfg->seed ^ 0x5eed5eedull;
    s->perm = malloc((size_t)M * sizeof *s->perm);
    for (int i = 0; i < M; i++) s->perm[i] = i;
    /* EMA weights start equal to the weights */
    float *flat = hb_g_download_flat(s->hat, 0);
    hb_upload(ctx, s->hat_opt.ema, flat);
    free(flat);
    flat = hb_g_download_flat(s->gen, 0);
    hb_upload(ctx, s->gen_opt.ema, flat);
    free(flat);
    init_bank(s);
    s->iter = hb_cmd_create(ctx);
    hb_cmd_begin(s->iter);
    record_iteration(s, s->iter);
    hb_cmd_end(s->iter);
    return s;
}

void hb_synth_free(hb_synth *s) {
    if (!s) return;
    hb_ctx *ctx = s->ctx;
    hb_cmd_destroy(s->iter);
    hb_cmd_destroy(s->chain);
    hb_tensor ts[] = {s->y, s->gz, s->scratch, s->z, s->data, s->noise, s->counter,
                      s->bank_z, s->bank_x, s->bank_idx, s->bank_xb, s->metrics};
    for (size_t i = 0; i < sizeof ts / sizeof *ts; i++) hb_free(ctx, ts[i]);
    adam_free(ctx, &s->hat_opt);
    adam_free(ctx, &s->gen_opt);
    hb_g_free(s->hat);
    hb_g_free(s->gen);
    free(s->perm);
    free(s);
}

static uint64_t next_u64(uint64_t *x) {
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* Host-side values of one iteration: counter, learning rates, distinct bank slots. */
static void write_iteration_inputs(hb_synth *s) {
    const hb_synth_cfg *c = &s->cfg;
    float counter = (float)s->iteration, hyper[4];
    hb_upload(s->ctx, s->counter, &counter);
    hb_adam_hyper(hyper, &s->hat_opt.cfg, c->lr_ebm, s->iteration + 1);
    hb_upload(s->ctx, s->hat_opt.hyper, hyper);
    hb_adam_hyper(hyper, &s->gen_opt.cfg, c->lr_gen, s->iteration + 1);
    hb_upload(s->ctx, s->gen_opt.hyper, hyper);
    int B = c->batch_size, M = c->persistent_size;
    float *idx = malloc((size_t)B * sizeof *idx);
    for (int i = 0; i < B; i++) { /* partial Fisher-Yates: B distinct slots */
        int j = i + (int)(next_u64(&s->host_rng) % (uint64_t)(M - i));
        int t = s->perm[i];
        s->perm[i] = s->perm[j], s->perm[j] = t;
        idx[i] = (float)s->perm[i];
    }
    hb_upload(s->ctx, s->bank_idx, idx);
    free(idx);
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

void hb_synth_step(hb_synth *s, const float *data, hb_synth_metrics *m) {
    double t0 = now_s();
    write_iteration_inputs(s);
    hb_upload(s->ctx, s->data, data);
    hb_cmd_submit(s->iter);
    double t1 = now_s();
    hb_cmd_wait(s->iter);
    double t2 = now_s();
    float v[4];
    hb_download(s->ctx, s->metrics, v);
    if (m) {
        m->host_s = (t1 - t0) + (now_s() - t2);
        m->device_s = t2 - t1;
        m->e_pos = v[0];
        m->e_neg = v[1];
        m->ebm_loss = (v[0] - v[1]) / s->cfg.mcmc_temp;
        m->gen_loss = v[2];
    }
    s->iteration++;
}

void hb_synth_sample(hb_synth *s) {
    if (!s->chain) {
        s->chain = hb_cmd_create(s->ctx);
        hb_cmd_begin(s->chain);
        record_chain(s, s->chain);
        hb_cmd_end(s->chain);
    }
    float counter = (float)s->iteration;
    hb_upload(s->ctx, s->counter, &counter);
    hb_cmd_run(s->chain);
}

int hb_synth_iteration(const hb_synth *s) { return s->iteration; }
hb_graph *hb_synth_hat(hb_synth *s) { return s->hat; }
hb_graph *hb_synth_gen(hb_synth *s) { return s->gen; }

void hb_synth_download_samples(hb_synth *s, float *x, float *g, float *y) {
    int B = s->cfg.batch_size;
    if (x) hb_download(s->ctx, hb_slice(hb_g_value(s->hat, 0, 2 * B), (uint32_t)(B * s->D), (uint32_t)(B * s->D)), x);
    if (g) hb_download(s->ctx, s->gz, g);
    if (y) hb_download(s->ctx, s->y, y);
}
