/* Fused Langevin step (hb_langevin_step) vs src/ref/ref_langevin.c with noise from ref_randn:
 * per-sample drift clipping active and inactive, no clipping, a prior (tau > 0), awkward
 * shapes, float and vec4 paths, the clipped drift's norm, and replay with a bumped counter. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ref/ref.h"
#include "testutil.h"

enum { CLIP_ACTIVE, CLIP_INACTIVE, NO_CLIP };
static const char *mode_name[] = {"clip-active", "clip-inactive", "no-clip"};

static void run_case(hb_ctx *ctx, uint64_t *rng, int N, int D, int mode, float tau,
                     uint32_t shift) {
    size_t n = (size_t)N * D;
    hb_langevin_cfg cfg = {.eps = 0.05f, .grad_scale = 1.0f / 0.7f, .tau = tau,
                           .seed = 0x5eed0000abcdull + (uint64_t)D, .stream = 3};
    /* drift = eps^2/2 * g' ~ 1.25e-3 * |g'|: large gradients give drift norms >> max_norm */
    float gmag = mode == CLIP_ACTIVE ? 200.0f : 1.0f;
    cfg.max_norm = mode == CLIP_ACTIVE ? 0.01f : mode == CLIP_INACTIVE ? 1e3f : 0.0f;
    uint32_t counter = 17;

    float *x = malloc(n * sizeof *x), *g = malloc(n * sizeof *g), *z = malloc(n * sizeof *z);
    tu_rand(rng, x, n, -1, 1);
    tu_rand(rng, g, n, -gmag, gmag);
    ref_randn(z, n, cfg.seed, cfg.stream, counter);
    double *want = tu_to_double(x, n), *gd = tu_to_double(g, n);
    ref_langevin_step(want, gd, z, N, D, cfg.eps, cfg.grad_scale, cfg.max_norm, cfg.tau);

    hb_tensor X = hb_slice(hb_alloc(ctx, n + shift), shift, (uint32_t)n);
    hb_tensor G = hb_slice(hb_alloc(ctx, n + shift), shift, (uint32_t)n);
    hb_tensor S = hb_alloc(ctx, (size_t)N), C = hb_alloc(ctx, 1), Z = hb_alloc(ctx, n);
    float cf = (float)counter;
    hb_upload(ctx, C, &cf);
    hb_upload(ctx, X, x);
    hb_upload(ctx, G, g);
    /* without clipping the scratch is unused and may be absent */
    hb_tensor scratch = (mode == NO_CLIP && shift) ? HB_NONE : S;
    TU_RUN(ctx, cmd, hb_langevin_step(cmd, X, G, scratch, C, N, D, &cfg));
    TU_RUN(ctx, cmd, hb_randn(cmd, Z, C, cfg.seed, cfg.stream));
    float *got = tu_download(ctx, X), *zg = tu_download(ctx, Z);

    char what[160];
    snprintf(what, sizeof what, "langevin N%d D%d %s tau%g shift%u", N, D, mode_name[mode], tau,
             shift);
    tu_close(what, got, want, n, 1e-6, 1e-6);

    /* the drift actually applied, -(x_new - x_old - eps*noise), per sample */
    int clipped_ok = 1, any_clipped = 0;
    double worst = 0;
    for (int s = 0; s < N; s++) {
        double dn = 0, full = 0;
        for (int j = 0; j < D; j++) {
            size_t i = (size_t)s * D + j;
            double d = (double)x[i] + cfg.eps * (double)zg[i] - got[i];
            double gp = cfg.grad_scale * (double)g[i] + 2.0 * tau * x[i];
            dn += d * d;
            full += gp * gp;
        }
        dn = sqrt(dn);
        full = sqrt(full) * cfg.eps * cfg.eps / 2;
        double expect = (cfg.max_norm > 0 && full > cfg.max_norm) ? cfg.max_norm : full;
        if (cfg.max_norm > 0 && full > cfg.max_norm) any_clipped = 1;
        double rel = fabs(dn - expect) / (expect > 0 ? expect : 1);
        if (rel > worst) worst = rel;
        /* x is O(1) in float: the recovered drift carries ~1e-7 absolute per element */
        if (fabs(dn - expect) > 1e-3 * expect + 1e-6 * sqrt((double)D)) clipped_ok = 0;
    }
    tu_check(clipped_ok && any_clipped == (mode == CLIP_ACTIVE),
             "%s: applied drift norms (max_norm %g when clipped), worst rel err %.2g", what,
             cfg.max_norm, worst);

    free(x), free(g), free(z), free(want), free(gd), free(got), free(zg);
}

/* One recording submitted twice; the host bumps the counter in between. */
static void replay_case(hb_ctx *ctx, uint64_t *rng, int N, int D) {
    size_t n = (size_t)N * D;
    hb_langevin_cfg cfg = {.eps = 0.1f, .grad_scale = 2.0f, .max_norm = 0.05f, .tau = 0.5f,
                           .seed = 77, .stream = 9};
    float *x = malloc(n * sizeof *x), *g = malloc(n * sizeof *g), *z = malloc(n * sizeof *z);
    tu_rand(rng, x, n, -1, 1);
    tu_rand(rng, g, n, -5, 5);
    double *want = tu_to_double(x, n), *gd = tu_to_double(g, n);
    hb_tensor X = tu_upload(ctx, x, n), G = tu_upload(ctx, g, n);
    hb_tensor S = hb_alloc(ctx, (size_t)N), C = hb_alloc(ctx, 1);
    hb_cmd *cmd = hb_cmd_create(ctx);
    hb_cmd_begin(cmd);
    hb_langevin_step(cmd, X, G, S, C, N, D, &cfg);
    hb_cmd_end(cmd);
    for (uint32_t it = 0; it < 3; it++) {
        float cf = (float)it;
        hb_upload(ctx, C, &cf);
        hb_cmd_run(cmd);
        ref_randn(z, n, cfg.seed, cfg.stream, it);
        ref_langevin_step(want, gd, z, N, D, cfg.eps, cfg.grad_scale, cfg.max_norm, cfg.tau);
        float *got = tu_download(ctx, X);
        char what[96];
        snprintf(what, sizeof what, "langevin replay N%d D%d submit %u", N, D, it);
        tu_close(what, got, want, n, 1e-6, 1e-6);
        free(got);
    }
    hb_cmd_destroy(cmd);
    free(x), free(g), free(z), free(want), free(gd);
}

int main(void) {
    hb_ctx *ctx = tu_ctx();
    uint64_t rng = 3;
    const int Ns[] = {1, 5}, Ds[] = {1, 7, 1024, 3072};
    for (int a = 0; a < 2; a++)
        for (int b = 0; b < 4; b++)
            for (int mode = 0; mode < 3; mode++)
                for (int t = 0; t < 2; t++)
                    for (uint32_t shift = 0; shift <= 1; shift++)
                        run_case(ctx, &rng, Ns[a], Ds[b], mode, t ? 0.3f : 0.0f, shift);
    run_case(ctx, &rng, 64, 3072, CLIP_ACTIVE, 0.1f, 0); /* a realistic batch */
    run_case(ctx, &rng, 4, 6, CLIP_ACTIVE, 0.0f, 0);     /* vec4s spanning samples */
    replay_case(ctx, &rng, 5, 7);
    replay_case(ctx, &rng, 4, 1024);
    return tu_finish(ctx);
}
