/* Trainer faults: NaN/Inf in a data batch or a weight shows in that very step's state sum
 * (not always in the energies: ReLU and tanh can swallow it) and hb_trainer_check_finite names
 * the tensor; a checkpoint is refused when its step or host RNG
 * is not a number or its bank permutation repeats a slot. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "train/trainer.h"

static hb_train_cfg tiny_cfg(void) {
    return (hb_train_cfg){.mode = HB_MODE_SYNTH, .res = 32, .nch = 1, .ngf_hat = 8,
                          .ngf_gen = 8, .gen_factor = 2.0f, .batch_size = 4, .mcmc_steps = 2,
                          .persistent_size = 8, .epsilon = 5e-4f, .mcmc_temp = 1e-8f,
                          .max_langevin_norm_res = 2.5f, .data_epsilon = 1e-3f,
                          .lr_ebm = 1e-4f, .lr_gen = 1e-4f, .gen_loss_factor_coop = 1000,
                          .ema_decay = 0.9999f, .init_scale_latent = 1.0f, .seed = 3};
}

enum { N = 4 * 32 * 32 };

static hb_trainer *fresh(hb_ctx *ctx) {
    hb_train_cfg cfg = tiny_cfg();
    char err[512];
    hb_trainer *t = hb_trainer_new(ctx, &cfg, NULL, err, sizeof err);
    if (!t) tu_check(0, "trainer: %s", err);
    return t;
}

static void step(hb_trainer *t, const float *data, hb_train_metrics *m) {
    hb_trainer_step(t, data, 1e-4f, 1e-4f, m);
}

static void nonfinite(hb_ctx *ctx) {
    static float data[N];
    uint64_t rng = 9;
    tu_rand(&rng, data, N, -1, 1);
    char what[200] = "";
    hb_train_metrics m;

    hb_trainer *t = fresh(ctx);
    step(t, data, &m);
    tu_check(isfinite(m.e_pos) && isfinite(m.state_sum) &&
                 hb_trainer_check_finite(t, what, sizeof what) == 0,
             "a normal step: finite metrics and state (state sum %g)", m.state_sum);
    float saved = data[3 * 1024 + 5];
    data[3 * 1024 + 5] = NAN; /* one pixel of the batch's last image */
    step(t, data, &m);
    data[3 * 1024 + 5] = saved;
    tu_check(!isfinite(m.state_sum), "a NaN pixel in the batch: that step's state sum is not "
             "finite (%g; data energy %g: ReLU can swallow NaN)", m.state_sum, m.e_pos);
    tu_check(hb_trainer_check_finite(t, what, sizeof what) != 0 && strncmp(what, "hat.", 4) == 0,
             "after the NaN batch's update a hat weight is named: %s", what);
    hb_trainer_free(t);

    /* Inf in one weight of the generator's last conv: the same step's samples blow up */
    t = fresh(ctx);
    hb_graph *gen = hb_trainer_gen(t);
    int p = hb_g_find_param(gen, "out.weight");
    float inf = INFINITY;
    hb_upload(ctx, hb_slice(hb_g_param(gen, p), 7, 1), &inf);
    tu_check(hb_trainer_check_finite(t, what, sizeof what) != 0 &&
                 strcmp(what, "gen.out.weight") == 0,
             "Inf written into a weight is named before any step: %s", what);
    step(t, data, &m);
    tu_check(!isfinite(m.state_sum), "the next step's state sum is not finite (%g)", m.state_sum);
    hb_trainer_free(t);
}

/* Rewrites src into dst with metadata key set to value, or tensor `name` replaced by data. */
static void rewrite(const char *src, const char *dst, const char *key, const char *value,
                    const char *name, const float *data) {
    hb_st_file f;
    char err[512];
    if (hb_st_load(src, &f, err, sizeof err) != 0) {
        tu_check(0, "%s", err);
        return;
    }
    hb_st_writer *w = hb_st_writer_new();
    for (int i = 0; i < f.count; i++)
        hb_st_add(w, f.t[i].name, f.t[i].ndim, f.t[i].shape,
                  name && strcmp(f.t[i].name, name) == 0 ? data : f.t[i].data);
    for (int i = 0; i < f.nmeta; i++)
        hb_st_meta(w, f.meta_key[i],
                   key && strcmp(f.meta_key[i], key) == 0 ? value : f.meta_val[i]);
    tu_check(hb_st_write(w, dst, err, sizeof err) == 0, "rewrote %s", dst);
    hb_st_writer_free(w);
    hb_st_free(&f);
}

static void refused(hb_ctx *ctx, const char *what, const char *path, const char *want) {
    hb_trainer *t = fresh(ctx);
    char err[512] = "";
    int rc = hb_trainer_load(t, path, err, sizeof err);
    tu_check(rc != 0 && strstr(err, want) && !strchr(err, '\n'), "refuses %s: %s", what, err);
    hb_trainer_free(t);
}

static void bad_checkpoints(hb_ctx *ctx) {
    static float data[N];
    uint64_t rng = 10;
    tu_rand(&rng, data, N, -1, 1);
    char err[512];
    const char *good = tu_tmp_path("good.safetensors"), *bad = tu_tmp_path("bad.safetensors");
    hb_trainer *t = fresh(ctx);
    step(t, data, NULL);
    tu_check(hb_trainer_save(t, good, err, sizeof err) == 0, "checkpoint saved");
    hb_trainer_free(t);
    rewrite(good, bad, "step", "-3", NULL, NULL);
    refused(ctx, "a negative step", bad, "not a whole number");
    rewrite(good, bad, "step", "12abc", NULL, NULL);
    refused(ctx, "a step with junk after it", bad, "not a whole number");
    rewrite(good, bad, "host_rng", "", NULL, NULL);
    refused(ctx, "an empty host RNG state", bad, "not a whole number");
    float perm[8] = {0, 1, 2, 3, 4, 5, 6, 6};
    rewrite(good, bad, NULL, NULL, "bank.perm", perm);
    refused(ctx, "a bank permutation that repeats a slot", bad, "permutation");
    t = fresh(ctx);
    tu_check(hb_trainer_load(t, good, err, sizeof err) == 0 && hb_trainer_iteration(t) == 1,
             "the untouched checkpoint still loads");
    hb_trainer_free(t);
}

int main(void) {
    hb_ctx *ctx = tu_ctx();
    nonfinite(ctx);
    bad_checkpoints(ctx);
    return tu_finish(ctx);
}
