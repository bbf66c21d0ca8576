/* Networks as a whole: weight files (round trip and refusals naming the tensor), and the
 * recorded Algorithm 1 iteration (replays, reproducibility, steady memory), trajectories. Numerical parity
 * of every network with PyTorch is tests/parity/. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "train/chain.h"
#include "train/trainer.h"

static int save(const hb_graph *g, const char *path, const char *prefix, const char *skip,
                const char *extra) {
    float *flat = hb_g_download_flat(g, &g->weights);
    hb_st_writer *w = hb_st_writer_new();
    char name[160], err[512];
    for (int i = 0; i < g->nparams; i++) {
        const hb_g_param_info *p = &g->params[i];
        if (skip && strcmp(p->name, skip) == 0) continue;
        snprintf(name, sizeof name, "%s%s", prefix, p->name);
        hb_st_add(w, name, p->ndim, p->shape, flat + p->off);
    }
    if (extra) {
        int64_t one = 1;
        hb_st_add(w, extra, 1, &one, flat);
    }
    int rc = hb_st_write(w, path, err, sizeof err);
    hb_st_writer_free(w);
    free(flat);
    return rc;
}

/* Loads path into g; returns the error message ("" on success). */
static const char *load(hb_graph *g, const char *path, const char *prefix) {
    static char err[512];
    hb_st_file f;
    err[0] = 0;
    if (hb_st_load(path, &f, err, sizeof err) == 0) {
        hb_g_load_params(g, &f, prefix, err, sizeof err);
        hb_st_free(&f);
    }
    return err;
}

static void test_weight_files(hb_ctx *ctx) {
    char path[256];
    snprintf(path, sizeof path, "%s/hat.safetensors", tu_tmpdir());
    hb_graph *a = hb_build_hat(ctx, 32, 1, 16), *b = hb_build_hat(ctx, 32, 1, 16),
             *wide = hb_build_hat(ctx, 32, 1, 32);
    hb_g_finalize(a, 1), hb_g_finalize(b, 1), hb_g_finalize(wide, 1);
    hb_g_init_params(a, 11);
    hb_g_init_params(b, 12);
    tu_check(save(a, path, "hat.", NULL, NULL) == 0, "hat weights saved");
    const char *err = load(b, path, "hat.");
    float *pa = hb_g_download_flat(a, &a->weights), *pb = hb_g_download_flat(b, &b->weights);
    tu_check(!*err && memcmp(pa, pb, a->nparam_floats * 4) == 0,
             "weights round-trip through safetensors bit for bit %s", err);
    free(pa), free(pb);

    err = load(wide, path, "hat.");
    tu_check(strstr(err, "hat.b.0.c1.weight") && strstr(err, "expected") != NULL,
             "a file of another width is refused naming the tensor: %s", err);
    err = load(b, path, "");
    tu_check(strstr(err, "'hat.b.0.c1.bias' is not a parameter") != NULL,
             "a wrong prefix is refused: %s", err);

    save(a, path, "hat.", "b.2.c2.bias", NULL);
    err = load(b, path, "hat.");
    tu_check(strstr(err, "hat.b.2.c2.bias") != NULL, "a missing tensor is named: %s", err);
    save(a, path, "hat.", NULL, "hat.b.9.c1.weight");
    err = load(b, path, "hat.");
    tu_check(strstr(err, "hat.b.9.c1.weight") != NULL, "an unexpected tensor is named: %s", err);
    unlink(path);
    hb_g_free(a), hb_g_free(b), hb_g_free(wide);
}

/* hb_g_init_params under both schemes: PyTorch's U(+-1/sqrt(fan_in)) for conv and linear
 * weights and biases, Glorot-uniform weights and zero biases for the authors'; batch-norm
 * gamma 1, beta 0 in both; one draw per float, so the two differ by a factor per tensor. */
static void test_init_schemes(hb_ctx *ctx) {
    hb_train_cfg c = {.mode = HB_MODE_SYNTH, .res = 32, .nch = 1, .ngf_gen = 8, .gen_factor = 2.0f};
    hb_graph *glorot = hb_train_build_generator(ctx, &c);
    c.init = HB_INIT_SCHEME_PYTORCH;
    hb_graph *torch = hb_train_build_generator(ctx, &c);
    hb_g_finalize(glorot, 1), hb_g_finalize(torch, 1);
    hb_g_init_params(glorot, 3), hb_g_init_params(torch, 3);
    float *wg = hb_g_download_flat(glorot, &glorot->weights);
    float *wt = hb_g_download_flat(torch, &torch->weights);
    int bad = 0, biases = 0;
    for (int i = 0; i < torch->nparams && !bad; i++) {
        const hb_g_param_info *p = &torch->params[i];
        int drawn = p->init == HB_INIT_WEIGHT || p->init == HB_INIT_BIAS;
        float bt = drawn ? 1.0f / sqrtf(p->fan_in) : 0;
        float bg = p->init == HB_INIT_WEIGHT ? sqrtf(6.0f / (p->fan_in + p->fan_out)) : 0;
        double top = 0;
        biases += p->init == HB_INIT_BIAS;
        for (uint32_t j = 0; j < p->n && !bad; j++) {
            float t = wt[p->off + j], g = wg[p->off + j];
            top = fmax(top, fabsf(t));
            if (!drawn) bad = t != g || t != (p->init == HB_INIT_ONE ? 1.0f : 0.0f);
            else bad = fabsf(t) > bt || (p->init == HB_INIT_BIAS ? g != 0
                                                                 : fabsf(t * bg - g * bt) > 1e-6f);
        }
        if (drawn && p->n >= 64 && top < 0.9 * bt) bad = 1;
        if (bad) tu_check(0, "init of %s (max |w| %.4g, bound %.4g)", p->name, top, bt);
    }
    tu_check(!bad && biases > 0, "init schemes: PyTorch's bounds, Glorot's draws scaled, %d "
             "biases random, batch norm 1 and 0", biases);
    free(wg), free(wt);
    hb_g_free(glorot), hb_g_free(torch);
}

static hb_train_cfg tiny_cfg(void) {
    return (hb_train_cfg){.mode = HB_MODE_SYNTH, .res = 32, .nch = 1, .ngf_hat = 8, .ngf_gen = 8, .gen_factor = 2.0f,
                          .batch_size = 4, .mcmc_steps = 3, .persistent_size = 16,
                          .epsilon = 5e-4f, .mcmc_temp = 1e-8f, .max_langevin_norm_res = 2.5f,
                          .data_epsilon = 1e-3f, .lr_ebm = 1e-4f, .lr_gen = 1e-4f,
                          .gen_loss_factor_coop = 1000, .ema_decay = 0.9999f,
                          .max_grad_norm = 1.0f, .init_scale_latent = 1.0f, .seed = 5};
}

/* The data batch of iteration i: a pure function of i, as the trainer's batcher is. */
static void batch_of(long i, float *data, size_t n) {
    uint64_t rng = 1000 + (uint64_t)i;
    tu_rand(&rng, data, n, -1, 1);
}

/* Runs `iters` iterations; returns the hat weights (malloc'ed) and fills samples. */
static float *train(hb_ctx *ctx, int iters, float *x_out, hb_train_metrics *last, size_t *bytes1,
                    size_t *bytes_end) {
    hb_train_cfg cfg = tiny_cfg();
    char err[512];
    hb_trainer *s = hb_trainer_new(ctx, &cfg, NULL, err, sizeof err);
    size_t n = (size_t)cfg.batch_size * 32 * 32;
    float *data = malloc(n * sizeof *data);
    for (int i = 0; i < iters; i++) {
        batch_of(i, data, n);
        hb_trainer_step(s, data, cfg.lr_ebm, cfg.lr_gen, last);
        if (i == 0 && bytes1) *bytes1 = hb_device_bytes(ctx);
    }
    if (bytes_end) *bytes_end = hb_device_bytes(ctx);
    hb_trainer_samples(s, x_out, NULL, NULL);
    float *w = hb_g_download_flat(hb_trainer_hat(s), &hb_trainer_hat(s)->weights);
    free(data);
    hb_trainer_free(s);
    return w;
}

static void test_synth_iteration(hb_ctx *ctx) {
    hb_train_cfg cfg = tiny_cfg();
    size_t n = (size_t)cfg.batch_size * 32 * 32, b1 = 0, b2 = 0;
    float *x1 = malloc(n * 4), *x2 = malloc(n * 4);
    hb_train_metrics m1, m2;
    float *w1 = train(ctx, 3, x1, &m1, &b1, &b2);
    tu_check(isfinite(m1.e_pos) && isfinite(m1.e_neg) && isfinite(m1.gen_loss) && m1.gen_loss >= 0,
             "an iteration gives finite metrics (e+ %g, e- %g, gen loss %g)", m1.e_pos, m1.e_neg,
             m1.gen_loss);
    tu_check(b1 == b2, "device memory after iteration 1 equals after iteration 3 (%zu bytes)", b1);
    float *w2 = train(ctx, 3, x2, &m2, NULL, NULL);
    char err[512];
    hb_trainer *probe = hb_trainer_new(ctx, &cfg, NULL, err, sizeof err);
    uint32_t nw = hb_trainer_hat(probe)->nparam_floats;
    hb_trainer_free(probe);
    tu_check(memcmp(w1, w2, nw * 4) == 0 && memcmp(x1, x2, n * 4) == 0,
             "two runs with one seed give the same weights and samples, bit for bit");
    free(w2);
    float *x3 = malloc(n * 4), *w3 = train(ctx, 4, x3, &m2, NULL, NULL);
    tu_check(memcmp(w1, w3, nw * 4) != 0 && memcmp(x1, x3, n * 4) != 0,
             "a further replay of the recorded iteration changes weights and samples");
    free(w1), free(w3), free(x1), free(x2), free(x3);
}

/* The joint chain moves both Z and Y, replays bit-identically, and draws new noise when the
 * counter moves on. */
static void test_joint_chain(hb_ctx *ctx) {
    const int B = 3, D = 32 * 32;
    hb_graph *hat = hb_build_hat(ctx, 32, 1, 8), *gen = hb_build_gen(ctx, 32, 1, 8, 1.0f);
    hb_g_finalize(hat, B), hb_g_finalize(gen, B);
    hb_g_init_params(hat, 1), hb_g_init_params(gen, 2);
    hb_tensor y = hb_alloc(ctx, (size_t)B * D), scratch = hb_alloc(ctx, B), ctr = hb_alloc(ctx, 1);
    hb_tensor gz = hb_alloc(ctx, (size_t)B * D), x = hb_alloc(ctx, (size_t)B * D);
    hb_tensor z = hb_g_value(gen, 0, B);
    float *z0 = malloc((size_t)B * HB_NZ * 4), *runs[3];
    uint64_t rng = 4;
    tu_rand(&rng, z0, (size_t)B * HB_NZ, -1, 1);
    hb_chain ch = {.hat = hat, .gen = gen, .batch = B, .y = y, .gz = gz, .scratch = scratch,
                   .counter = ctr, .seed = 3, .eps_res = 5e-3f, .eps_latent = 5e-2f,
                   .temp = 1e-3f, .max_norm_res = 2.5f, .tau_res = 8.0f};
    hb_cmd *cmd = hb_cmd_create(ctx);
    hb_cmd_begin(cmd);
    hb_chain_record_joint(cmd, &ch, 0, 3);
    hb_add(cmd, x, gz, y);
    hb_cmd_end(cmd);
    for (int r = 0; r < 3; r++) {
        float c = r == 2 ? 1.0f : 0.0f;
        hb_upload(ctx, ctr, &c);
        hb_upload(ctx, z, z0);
        hb_fill_host(ctx, y, 0.0f);
        hb_cmd_run(cmd);
        runs[r] = tu_download(ctx, x); /* X = G(Z_K) + Y_K */
    }
    float *zk = tu_download(ctx, z), *yk = tu_download(ctx, y);
    double dz = 0, dy = 0;
    for (int i = 0; i < B * HB_NZ; i++) dz += fabs(zk[i] - z0[i]);
    for (int i = 0; i < B * D; i++) dy += fabs(yk[i]);
    tu_check(dz > 0 && dy > 0, "the joint chain moves Z (|dz| %.3g) and Y (|y| %.3g)", dz, dy);
    tu_check(memcmp(runs[0], runs[1], (size_t)B * D * 4) == 0, "a replayed joint chain is bit-identical");
    tu_check(memcmp(runs[0], runs[2], (size_t)B * D * 4) != 0, "a new counter draws new noise");
    for (int r = 0; r < 3; r++) free(runs[r]);
    free(z0), free(zk), free(yk);
    hb_cmd_destroy(cmd);
    hb_free(ctx, y), hb_free(ctx, scratch), hb_free(ctx, ctr), hb_free(ctx, gz), hb_free(ctx, x);
    hb_g_free(hat), hb_g_free(gen);
}

/* A frozen graph (hb_g_freeze: prepared Winograd weights, the stem computed inside the next
 * conv) gives the energy and dH/dx of the plain passes, for 1 and 3 channels at a width where
 * the stem fuses; and refuses parameter gradients. */
static void test_frozen(hb_ctx *ctx, int nch) {
    const int B = 4, ngf = 48;
    hb_graph *hat = hb_build_hat(ctx, 32, nch, ngf);
    hb_g_finalize(hat, B);
    hb_g_init_params(hat, 5);
    size_t D = (size_t)nch * 32 * 32;
    float *x = malloc(B * D * 4), *e[2], *dx[2];
    uint64_t rng = 9;
    tu_rand(&rng, x, B * D, -1, 1);
    hb_upload(ctx, hb_g_value(hat, 0, B), x);
    for (int frozen = 0; frozen < 2; frozen++) {
        hb_cmd *cmd = hb_cmd_create(ctx);
        hb_cmd_begin(cmd);
        if (frozen) hb_g_freeze(hat, cmd);
        hb_g_forward(hat, cmd, B);
        hb_fill(cmd, hb_g_grad(hat, hat->output, B), 1.0f);
        hb_g_backward(hat, cmd, B, 0, 1);
        if (frozen) hb_g_thaw(hat);
        hb_cmd_end(cmd);
        hb_cmd_run(cmd);
        hb_cmd_destroy(cmd);
        e[frozen] = tu_download(ctx, hb_g_value(hat, hat->output, B));
        dx[frozen] = tu_download(ctx, hb_g_grad(hat, 0, B));
    }
    double *want = malloc(B * D * 8);
    char what[96];
    for (int i = 0; i < B; i++) want[i] = e[0][i];
    snprintf(what, sizeof what, "frozen hat (%d channels) energy", nch);
    tu_close(what, e[1], want, B, 1e-4, 1e-5);
    for (size_t i = 0; i < B * D; i++) want[i] = dx[0][i];
    double mx = 0;
    for (size_t i = 0; i < B * D; i++) mx = fmax(mx, fabs(want[i]));
    snprintf(what, sizeof what, "frozen hat (%d channels) dH/dx", nch);
    tu_close(what, dx[1], want, B * D, 1e-4, 1e-4 * mx);
    free(x), free(want);
    for (int f = 0; f < 2; f++) free(e[f]), free(dx[f]);
    hb_g_free(hat);
}

/* Stop after 2 of 4 iterations, save, load into a new trainer, finish: the same bits as 4
 * uninterrupted iterations. */
static void test_resume(hb_ctx *ctx) {
    hb_train_cfg cfg = tiny_cfg();
    size_t n = (size_t)cfg.batch_size * 32 * 32;
    float *x1 = malloc(n * 4), *x2 = malloc(n * 4), *data = malloc(n * 4);
    float *w1 = train(ctx, 4, x1, NULL, NULL, NULL);
    char err[512], path[256];
    snprintf(path, sizeof path, "%s/ckpt.safetensors", tu_tmpdir());
    hb_trainer *a = hb_trainer_new(ctx, &cfg, NULL, err, sizeof err);
    for (long i = 0; i < 2; i++) {
        batch_of(i, data, n);
        hb_trainer_step(a, data, cfg.lr_ebm, cfg.lr_gen, NULL);
    }
    err[0] = 0;
    tu_check(hb_trainer_save(a, path, err, sizeof err) == 0, "checkpoint written %s", err);
    hb_trainer_free(a);
    hb_trainer *b = hb_trainer_new(ctx, &cfg, NULL, err, sizeof err);
    int loaded = hb_trainer_load(b, path, err, sizeof err) == 0;
    tu_check(loaded && hb_trainer_iteration(b) == 2, "checkpoint loaded at step %ld",
             hb_trainer_iteration(b));
    for (long i = 2; i < 4; i++) {
        batch_of(i, data, n);
        hb_trainer_step(b, data, cfg.lr_ebm, cfg.lr_gen, NULL);
    }
    hb_trainer_samples(b, x2, NULL, NULL);
    float *w2 = hb_g_download_flat(hb_trainer_hat(b), &hb_trainer_hat(b)->weights);
    tu_check(memcmp(w1, w2, hb_trainer_hat(b)->nparam_floats * 4) == 0 && memcmp(x1, x2, n * 4) == 0,
             "a resumed run equals an uninterrupted one, bit for bit");
    hb_trainer_free(b);

    hb_train_cfg other = tiny_cfg();
    other.mode = HB_MODE_AE;
    hb_trainer *c = hb_trainer_new(ctx, &other, NULL, err, sizeof err);
    tu_check(hb_trainer_load(c, path, err, sizeof err) != 0 && strstr(err, "mode synth") != NULL,
             "a checkpoint of another mode is refused: %s", err);
    hb_trainer_free(c);
    unlink(path);
    free(w1), free(w2), free(x1), free(x2), free(data);
}

/* The autoencoder trains; its decoder feeds a joint (retrofit) run, and a synth run's
 * generator feeds a joint (refinement) run. */
static void test_ae_and_joint(hb_ctx *ctx) {
    char err[512], dec[256], gen[256];
    snprintf(dec, sizeof dec, "%s/decoder.safetensors", tu_tmpdir());
    snprintf(gen, sizeof gen, "%s/gen.safetensors", tu_tmpdir());
    hb_train_cfg cfg = tiny_cfg();
    size_t n = (size_t)cfg.batch_size * 32 * 32;
    float *data = malloc(n * 4);
    hb_train_metrics m = {0};

    cfg.mode = HB_MODE_AE;
    cfg.loss_factor = 1000;
    cfg.data_epsilon = 2e-2f;
    hb_trainer *ae = hb_trainer_new(ctx, &cfg, NULL, err, sizeof err);
    float first = 0;
    for (long i = 0; i < 6; i++) {
        batch_of(0, data, n); /* one batch, so the loss must fall */
        hb_trainer_step(ae, data, 1e-3f, 1e-3f, &m);
        if (i == 0) first = m.gen_loss;
    }
    tu_check(isfinite(m.gen_loss) && m.gen_loss < first,
             "the autoencoder's loss falls on a fixed batch (%g -> %g)", first, m.gen_loss);
    err[0] = 0;
    tu_check(hb_trainer_export_generator(ae, dec, err, sizeof err) == 0, "decoder exported %s", err);
    hb_trainer_free(ae);

    hb_train_cfg s = tiny_cfg();
    hb_trainer *synth = hb_trainer_new(ctx, &s, NULL, err, sizeof err);
    tu_check(hb_trainer_export_generator(synth, gen, err, sizeof err) == 0, "generator exported");
    hb_trainer_free(synth);

    for (int variant = 0; variant < 3; variant++) {
        hb_train_cfg j = tiny_cfg();
        j.mode = HB_MODE_JOINT;
        j.generator_is_decoder = variant == 0;
        j.update_latents = variant != 2;
        j.epsilon_latent = 1e-3f;
        j.tau_res = variant == 0 ? 50.0f : 0.0f;
        err[0] = 0;
        hb_trainer *jt = hb_trainer_new(ctx, &j, variant == 0 ? dec : gen, err, sizeof err);
        if (!tu_check(jt != NULL, "joint trainer over a %s %s", variant == 0 ? "decoder" : "generator", err))
            continue;
        for (long i = 0; i < 2; i++) {
            batch_of(i, data, n);
            hb_trainer_step(jt, data, j.lr_ebm, 0, &m);
        }
        tu_check(isfinite(m.e_pos) && isfinite(m.e_neg) && m.res_norm > 0,
                 "joint run (%s, update_latents %d): e+ %g e- %g |y| %g",
                 variant == 0 ? "retrofit" : "refine", j.update_latents, m.e_pos, m.e_neg, m.res_norm);
        hb_trainer_free(jt);
    }
    hb_train_cfg j = tiny_cfg();
    j.mode = HB_MODE_JOINT;
    hb_trainer *bad = hb_trainer_new(ctx, &j, dec, err, sizeof err);
    tu_check(bad == NULL && strstr(err, "tensor") != NULL,
             "a decoder file given as an SN-GAN generator is refused: %s", err);
    unlink(dec), unlink(gen);
    free(data);
}

/* hb_trainer_trajectory: snapshot 0 is the chain's start (Y_0 = 0, X = G(Z)); the last is
 * the whole chain recorded at once (hb_trainer_sample), bit for bit, also for the joint chain
 * recorded in pieces; and a run that publishes trajectories trains exactly as one that does
 * not. */
static void test_trajectory(hb_ctx *ctx) {
    char err[512], gen[256];
    snprintf(gen, sizeof gen, "%s/traj_gen.safetensors", tu_tmpdir());
    hb_train_cfg base = tiny_cfg();
    hb_trainer *g = hb_trainer_new(ctx, &base, NULL, err, sizeof err);
    tu_check(hb_trainer_export_generator(g, gen, err, sizeof err) == 0, "generator exported");
    hb_trainer_free(g);
    enum { N = 3, S = 4 };
    const int steps[S] = {0, 1, 1, 3};
    size_t D = 32 * 32, nD = N * D, B = (size_t)base.batch_size;
    float *x = malloc(S * nD * 4), *gz = malloc(S * nD * 4), *y = malloc(S * nD * 4);
    float *xs = malloc(B * D * 4), *data = malloc(B * D * 4), e[S * N];
    for (int joint = 0; joint < 2; joint++) {
        hb_train_cfg c = tiny_cfg();
        if (joint) {
            c.mode = HB_MODE_JOINT;
            c.update_latents = 1;
            c.epsilon_latent = 1e-2f;
        }
        hb_trainer *a = hb_trainer_new(ctx, &c, gen, err, sizeof err);
        hb_trainer *b = hb_trainer_new(ctx, &c, gen, err, sizeof err);
        for (long i = 0; i < 2; i++) {
            batch_of(i, data, B * D);
            hb_trainer_step(a, data, c.lr_ebm, c.lr_gen, NULL);
            hb_trainer_trajectory(a, N, S, steps, x, gz, y, e);
            hb_trainer_step(b, data, c.lr_ebm, c.lr_gen, NULL);
        }
        hb_graph *ha = hb_trainer_hat(a), *hb = hb_trainer_hat(b);
        float *wa = hb_g_download_flat(ha, &ha->weights), *wb = hb_g_download_flat(hb, &hb->weights);
        tu_check(memcmp(wa, wb, ha->nparam_floats * 4) == 0,
                 "%s: training with trajectories gives the same weights as without", c.mode == HB_MODE_JOINT ? "joint" : "synth");
        int start = 1, finite = 1;
        for (size_t i = 0; i < nD; i++) start &= y[i] == 0.0f && x[i] == gz[i];
        for (int i = 0; i < S * N; i++) finite &= isfinite(e[i]);
        tu_check(start && finite, "snapshot 0 is the start (Y = 0, X = G(Z)); energies finite");
        tu_check(memcmp(x + nD, x + 2 * nD, nD * 4) == 0 && memcmp(x, x + 3 * nD, nD * 4) != 0,
                 "a repeated chain step repeats the snapshot; the chain moves by step 3");
        if (joint)
            tu_check(memcmp(gz, gz + 3 * nD, nD * 4) != 0, "joint: G(Z) moves along the chain");
        hb_trainer_sample(a);
        hb_trainer_samples(a, xs, NULL, NULL);
        tu_check(memcmp(xs, x + 3 * nD, nD * 4) == 0,
                 "the last snapshot equals the chain recorded whole, bit for bit");
        free(wa), free(wb);
        hb_trainer_free(a), hb_trainer_free(b);
    }
    unlink(gen);
    free(x), free(gz), free(y), free(xs), free(data);
}

/* The FLOP count `bench` rates the engines by: the hat net at 32x32, 1 channel, ngf 32, per
 * image, summed by hand layer by layer (2 * H * W * cin * cout * k^2; pooled shortcuts at the
 * pooled size, the linear layer 2 * 32). */
static void test_flops(hb_ctx *ctx) {
    hb_graph *hat = hb_build_hat(ctx, 32, 1, 32);
    const double conv3 = 2.0 * 9 * 32 * 32; /* 32 -> 32 3x3 per pixel */
    double want = 2.0 * 9 * 32 * 1024          /* b.0.c1 1 -> 32 at 32x32 */
                  + conv3 * 1024               /* b.0.c2 at 32x32 */
                  + 2.0 * 32 * 256             /* b.0.sc 1 -> 32 1x1 at 16x16 */
                  + 2 * conv3 * 256            /* b.1.c1, c2 at 16x16 */
                  + 2.0 * 32 * 32 * 64         /* b.1.sc 1x1 at 8x8 */
                  + 4 * conv3 * 64             /* b.2, b.3 at 8x8 */
                  + 2.0 * 32;                  /* lin */
    double got = hb_g_flops(hat, 3);
    tu_check(got == 3 * want, "hat net FLOPs at ngf 32, 3 images: %.0f (by hand %.0f)", got, 3 * want);
    hb_g_free(hat);
}

int main(void) {
    hb_ctx *ctx = tu_ctx();
    test_weight_files(ctx);
    test_init_schemes(ctx);
    test_synth_iteration(ctx);
    test_joint_chain(ctx);
    test_frozen(ctx, 1);
    test_frozen(ctx, 3);
    test_resume(ctx);
    test_ae_and_joint(ctx);
    test_trajectory(ctx);
    test_flops(ctx);
    return tu_finish(ctx);
}
