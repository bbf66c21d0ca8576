/* Fused Adam + EMA + global-norm clip (hb_adam) vs src/ref/ref_adam.c over several steps,
 * clip on/off, EMA on/off, float and vec4 paths, and one recording replayed with the
 * hyper-parameters updated between submits. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ref/ref.h"
#include "testutil.h"

typedef struct {
    hb_tensor p, g, m, v, e, hyper, sq;
    double *pd, *md, *vd, *ed;
    float *g_host;
    size_t n;
} state;

static hb_tensor alloc_shifted(hb_ctx *ctx, size_t n, uint32_t shift) {
    return hb_slice(hb_alloc(ctx, n + shift), shift, (uint32_t)n);
}

static void init(hb_ctx *ctx, state *s, uint64_t *rng, size_t n, uint32_t shift, int ema) {
    memset(s, 0, sizeof *s);
    s->n = n;
    float *p = malloc(n * sizeof *p);
    tu_rand(rng, p, n, -1, 1);
    s->p = alloc_shifted(ctx, n, shift);
    s->g = alloc_shifted(ctx, n, shift);
    s->m = alloc_shifted(ctx, n, shift);
    s->v = alloc_shifted(ctx, n, shift);
    hb_upload(ctx, s->p, p);
    s->pd = tu_to_double(p, n);
    s->md = calloc(n, sizeof(double));
    s->vd = calloc(n, sizeof(double));
    if (ema) {
        s->e = alloc_shifted(ctx, n, shift);
        hb_upload(ctx, s->e, p);
        s->ed = tu_to_double(p, n);
    }
    s->hyper = hb_alloc(ctx, 4);
    s->sq = hb_alloc(ctx, 1);
    s->g_host = malloc(n * sizeof(float));
    free(p);
}

static void release(state *s) {
    free(s->pd), free(s->md), free(s->vd), free(s->ed), free(s->g_host);
}

/* New gradient, ||g||^2 and hyper uploaded; the reference stepped. */
static void prepare_step(hb_ctx *ctx, state *s, uint64_t *rng, const hb_adam_cfg *cfg, float lr,
                         int step, float gscale) {
    tu_rand(rng, s->g_host, s->n, -gscale, gscale);
    hb_upload(ctx, s->g, s->g_host);
    double sq = 0;
    for (size_t i = 0; i < s->n; i++) sq += (double)s->g_host[i] * s->g_host[i];
    float sqf = (float)sq, hyper[4];
    hb_upload(ctx, s->sq, &sqf);
    hb_adam_hyper(hyper, cfg, lr, step);
    hb_upload(ctx, s->hyper, hyper);
    double *gd = tu_to_double(s->g_host, s->n);
    ref_adam(s->pd, gd, s->md, s->vd, s->ed, s->n, lr, step, cfg->beta1, cfg->beta2, cfg->eps,
             cfg->ema_decay, cfg->max_grad_norm);
    free(gd);
}

static void record(hb_cmd *cmd, state *s, const hb_adam_cfg *cfg) {
    hb_adam(cmd, s->p, s->g, s->m, s->v, s->e, s->hyper, cfg->max_grad_norm > 0 ? s->sq : HB_NONE,
            cfg);
}

static void compare(hb_ctx *ctx, state *s, const char *tag) {
    char what[160];
    float *got = tu_download(ctx, s->p);
    snprintf(what, sizeof what, "%s: param", tag);
    tu_close(what, got, s->pd, s->n, 1e-6, 1e-7);
    free(got);
    got = tu_download(ctx, s->m);
    snprintf(what, sizeof what, "%s: m", tag);
    tu_close(what, got, s->md, s->n, 1e-5, 1e-7);
    free(got);
    got = tu_download(ctx, s->v);
    snprintf(what, sizeof what, "%s: v", tag);
    tu_close(what, got, s->vd, s->n, 1e-5, 1e-12);
    free(got);
    if (s->ed) {
        got = tu_download(ctx, s->e);
        snprintf(what, sizeof what, "%s: ema", tag);
        tu_close(what, got, s->ed, s->n, 1e-6, 1e-7);
        free(got);
    }
}

static void run_case(hb_ctx *ctx, uint64_t *rng, size_t n, uint32_t shift, int clip, int ema) {
    /* clip 0: off; 1: on with ||g|| far above max_grad_norm; 2: on but ||g|| below it */
    hb_adam_cfg cfg = {0.9f, 0.999f, 1e-8f, 0.999f, clip == 1 ? 1.0f : clip == 2 ? 1e4f : 0.0f};
    float gscale = clip == 1 ? 100.0f : 1.0f;
    state s;
    init(ctx, &s, rng, n, shift, ema);
    char tag[128];
    for (int step = 1; step <= 4; step++) {
        float lr = 1e-3f * (float)step; /* a schedule, to see lr read from the device */
        prepare_step(ctx, &s, rng, &cfg, lr, step, gscale);
        TU_RUN(ctx, cmd, record(cmd, &s, &cfg));
        snprintf(tag, sizeof tag, "adam n%zu shift%u clip%d ema%d step%d", n, shift, clip, ema,
                 step);
        compare(ctx, &s, tag);
    }
    if (clip == 1) { /* the update must be tiny relative to unclipped: norm-1 gradient used */
        double mn = 0;
        for (size_t i = 0; i < n; i++) mn += s.md[i] * s.md[i];
        tu_check(sqrt(mn) <= 1.0 + 1e-6, "adam n%zu clip: ||m|| %.4f <= max_grad_norm", n,
                 sqrt(mn));
    }
    release(&s);
}

static void replay_case(hb_ctx *ctx, uint64_t *rng, size_t n, int clip) {
    hb_adam_cfg cfg = {0.5f, 0.75f, 1e-8f, 0.9f, clip ? 2.0f : 0.0f};
    state s;
    init(ctx, &s, rng, n, 0, 1);
    hb_cmd *cmd = hb_cmd_create(ctx);
    hb_cmd_begin(cmd);
    record(cmd, &s, &cfg);
    hb_cmd_end(cmd);
    char tag[128];
    for (int step = 1; step <= 3; step++) {
        prepare_step(ctx, &s, rng, &cfg, 0.01f / (float)step, step, clip ? 50.0f : 1.0f);
        hb_cmd_run(cmd);
        snprintf(tag, sizeof tag, "adam replay n%zu clip%d submit %d", n, clip, step);
        compare(ctx, &s, tag);
    }
    hb_cmd_destroy(cmd);
    release(&s);
}

int main(void) {
    hb_ctx *ctx = tu_ctx();
    uint64_t rng = 7;

    hb_adam_cfg cfg = {0.9f, 0.999f, 1e-8f, 0.999f, 0};
    float h[4];
    hb_adam_hyper(h, &cfg, 2e-4f, 3);
    tu_check(h[0] == 2e-4f && fabs(h[1] - (1 - pow((double)cfg.beta1, 3))) < 1e-7 &&
                 fabs(h[2] - (1 - pow((double)cfg.beta2, 3))) < 1e-9 && h[3] == 0,
             "hb_adam_hyper: {%g, %g, %g, %g}", h[0], h[1], h[2], h[3]);

    const size_t sizes[] = {1, 5, 4099, 4096, 100000};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++)
        for (uint32_t shift = 0; shift <= 1; shift++)
            for (int clip = 0; clip <= 2; clip++)
                for (int ema = 0; ema <= 1; ema++) {
                    if (sizes[i] == 100000 && (shift || !ema)) continue;
                    run_case(ctx, &rng, sizes[i], shift, clip, ema);
                }
    replay_case(ctx, &rng, 4099, 0);
    replay_case(ctx, &rng, 4099, 1);
    replay_case(ctx, &rng, 1024, 1);
    return tu_finish(ctx);
}
