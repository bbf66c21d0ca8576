/* The hat net's gradient after a trainer step is the gradient of its loss: (mean H(x+) -
 * mean H(x-)) / T, plus energy_l2 * (mean H(x+)^2 + mean H(x-)^2) / T when set. The reference
 * runs the hat net's forward pass on the step's own inputs (data; the chains' X), seeds the
 * backward pass on the host with dL/dH_i = (+-1 + 2 alpha H_i) / (B T) and compares the
 * parameter gradients (the backward pass itself is checked by finite differences in
 * test_models). Learning rates 0 keep the weights the step saw. */
#include <math.h>
#include <stdlib.h>

#include "testutil.h"
#include "train/trainer.h"

enum { B = 4, D = 32 * 32 };

static hb_train_cfg cfg_with(float alpha) {
    return (hb_train_cfg){.mode = HB_MODE_SYNTH, .res = 32, .nch = 1, .ngf_hat = 8,
                          .ngf_gen = 8, .gen_factor = 2.0f, .batch_size = B, .mcmc_steps = 2,
                          .persistent_size = 8, .epsilon = 5e-2f, .mcmc_temp = 0.5f,
                          .max_langevin_norm_res = 2.5f, .data_epsilon = 0.0f,
                          .lr_ebm = 1e-4f, .lr_gen = 1e-4f, .gen_loss_factor_coop = 1000,
                          .ema_decay = 0.999f, .init_scale_latent = 1.0f, .seed = 5,
                          .energy_l2 = alpha, .init = HB_INIT_SCHEME_PYTORCH};
}

/* The hat net's energies (2B) for inputs [data; x]: its forward pass, left in its buffers. */
static float *hat_energies(hb_ctx *ctx, hb_graph *hat, const float *data, const float *x) {
    hb_upload(ctx, hb_slice(hb_g_value(hat, 0, 2 * B), 0, B * D), data);
    hb_upload(ctx, hb_slice(hb_g_value(hat, 0, 2 * B), B * D, B * D), x);
    TU_RUN(ctx, cmd, hb_g_forward(hat, cmd, 2 * B));
    return tu_download(ctx, hb_g_value(hat, hat->output, 2 * B));
}

/* The hat net's parameter gradients after hat_energies, backward from dL/dH_i = (s_i + 2 alpha
 * H_i) w, s = +1 for data, -1 for samples, w = 1 / (B T). */
static float *reference_grads(hb_ctx *ctx, hb_graph *hat, const float *e, float alpha,
                              float temp) {
    float seed[2 * B], w = 1.0f / (B * temp);
    for (int i = 0; i < 2 * B; i++) seed[i] = ((i < B ? 1.0f : -1.0f) + 2.0f * alpha * e[i]) * w;
    hb_upload(ctx, hb_g_grad(hat, hat->output, 2 * B), seed);
    TU_RUN(ctx, cmd, hb_g_backward(hat, cmd, 2 * B, 1, 0));
    return hb_g_download_flat(hat, &hat->grads);
}

static double max_abs_diff(const float *a, const float *b, size_t n, double *scale) {
    double d = 0, s = 0;
    for (size_t i = 0; i < n; i++) {
        d = fmax(d, fabs((double)a[i] - b[i]));
        s = fmax(s, fabs((double)b[i]));
    }
    *scale = s;
    return d;
}

static void gradient_of_the_loss(hb_ctx *ctx, float alpha) {
    hb_train_cfg cfg = cfg_with(alpha);
    char err[512];
    hb_trainer *t = hb_trainer_new(ctx, &cfg, NULL, err, sizeof err);
    if (!t) {
        tu_check(0, "trainer: %s", err);
        return;
    }
    static float data[B * D], x[B * D];
    uint64_t rng = 11;
    tu_rand(&rng, data, B * D, -1, 1);
    hb_train_metrics m;
    hb_trainer_step(t, data, 0.0f, 0.0f, &m);
    hb_graph *hat = hb_trainer_hat(t);
    float *got = hb_g_download_flat(hat, &hat->grads);
    hb_trainer_samples(t, x, NULL, NULL);

    float *e = hat_energies(ctx, hat, data, x);
    float *want = reference_grads(ctx, hat, e, alpha, cfg.mcmc_temp);
    float *without = reference_grads(ctx, hat, e, 0.0f, cfg.mcmc_temp);
    double e_pos = 0, e_neg = 0, scale;
    for (int i = 0; i < B; i++) e_pos += e[i] / B, e_neg += e[B + i] / B;
    tu_check(fabs(e_pos - m.e_pos) <= 1e-5 * (1 + fabs(e_pos)) &&
                 fabs(e_neg - m.e_neg) <= 1e-5 * (1 + fabs(e_neg)),
             "alpha %g: the step's energies are the reference's (%g %g vs %g %g)", alpha,
             m.e_pos, m.e_neg, e_pos, e_neg);
    double err_ = max_abs_diff(got, want, hat->nparam_floats, &scale);
    tu_check(err_ <= 1e-4 * scale, "alpha %g: hat gradients match dL/dH = (+-1 + 2 alpha H) / "
             "(B T) (max diff %.3g, max |grad| %.3g)", alpha, err_, scale);
    if (alpha > 0) {
        double pen = max_abs_diff(without, want, hat->nparam_floats, &scale);
        tu_check(pen > 100 * err_ && pen > 1e-2 * scale,
                 "alpha %g: the penalty changes the gradient measurably (by %.3g of %.3g)",
                 alpha, pen, scale);
    }
    free(got), free(want), free(without), free(e);
    hb_trainer_free(t);
}

int main(void) {
    hb_ctx *ctx = tu_ctx();
    gradient_of_the_loss(ctx, 0.0f);
    gradient_of_the_loss(ctx, 0.5f);
    return tu_finish(ctx);
}
