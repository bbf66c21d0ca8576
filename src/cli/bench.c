/* hatebm bench: figures, never assertions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "cli/cli.h"
#include "nn/models.h"
#include "train/trainer.h"

typedef struct {
    const char *layer;
    int cin, cout, H, k;
} conv_shape;

/* Device ms per call of `op` over `reps` replays of a recording holding it once. */
static double time_op(hb_ctx *ctx, hb_cmd *cmd, const char *op, int reps) {
    hb_cmd_run(cmd); /* warm-up: first-touch of memory, pipeline creation */
    hb_profile_clear(ctx);
    for (int r = 0; r < reps; r++) hb_cmd_run(cmd);
    return hb_profile_ms(ctx, op) / reps;
}

/* peak: the device's FP32 TFLOP/s for the "% peak" column (0: not given) */
static void bench_conv(hb_ctx *ctx, int N, const conv_shape *s, int reps, double peak) {
    int H = s->H, W = s->H, k = s->k;
    size_t nin = (size_t)N * s->cin * H * W, nout = (size_t)N * s->cout * H * W;
    size_t nw = (size_t)s->cout * s->cin * k * k;
    hb_tensor x = hb_alloc(ctx, nin), y = hb_alloc(ctx, nout), w = hb_alloc(ctx, nw),
              b = hb_alloc(ctx, s->cout), gx = hb_alloc(ctx, nin), gw = hb_alloc(ctx, nw),
              gb = hb_alloc(ctx, s->cout);
    hb_conv2d_desc d = {.N = N, .cin = s->cin, .cout = s->cout, .H = H, .W = W, .k = k};
    size_t wsn = hb_conv2d_workspace(
        ctx, &d, HB_CONV2D_ALL_PASSES);
    hb_tensor ws = hb_alloc(ctx, wsn ? wsn : 1);
    hb_cmd *cmd = hb_cmd_create(ctx);
    double flop = 2.0 * N * H * W * s->cin * s->cout * k * k;
    const char *ops[3] = {"conv2d_forward", "conv2d_backward_data", "conv2d_backward_weight"};
    for (int o = 0; o < 3; o++) {
        hb_cmd_begin(cmd);
        if (o == 0) hb_conv2d_forward(cmd, &d, y, x, w, b, HB_NONE, ws);
        if (o == 1) hb_conv2d_backward_data(cmd, &d, gx, y, w, HB_NONE, ws);
        if (o == 2) hb_conv2d_backward_weight(cmd, &d, gw, gb, x, y, ws);
        hb_cmd_end(cmd);
        double ms = time_op(ctx, cmd, ops[o], reps);
        /* the Winograd GEMM alone, where the op runs by Winograd: the kernel profiles differ
         * there */
        char stage[64];
        snprintf(stage, sizeof stage, "%s/wino_gemm", ops[o]);
        double gemm_ms = hb_profile_ms(ctx, stage) / reps, tflops = flop / (ms * 1e-3) * 1e-12;
        char gemm[16] = "-", pct[16] = "-";
        if (gemm_ms > 0) snprintf(gemm, sizeof gemm, "%.3f", gemm_ms);
        if (peak > 0) snprintf(pct, sizeof pct, "%.1f", 100 * tflops / peak);
        printf("%-24s %-12s %4d %4d %4d %3dx%-3d %2d %10.3f %9s %9.2f %8.4f %6s\n", ops[o],
               s->layer, N, s->cin, s->cout, H, W, k, ms, gemm, tflops * 1e3, tflops, pct);
        fflush(stdout);
    }
    hb_cmd_destroy(cmd);
    hb_tensor all[] = {x, y, w, b, gx, gw, gb, ws};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) hb_free(ctx, all[i]);
}

/* Memory-bound ops at the activation shape [N][C][H][W]: device ms and GB/s moved. */
static void bench_other(hb_ctx *ctx, int N, int C, int H, int reps) {
    size_t n = (size_t)N * C * H * H;
    hb_tensor a = hb_alloc(ctx, n), b = hb_alloc(ctx, n), big = hb_alloc(ctx, 4 * n),
              small = hb_alloc(ctx, n / 4), one = hb_alloc(ctx, 1);
    hb_cmd *cmd = hb_cmd_create(ctx);
    struct {
        const char *op;
        double bytes;
    } rows[] = {{"relu", 8.0 * n},           {"add", 12.0 * n},
                {"avgpool2", 5.0 * n},       {"avgpool2_backward", 5.0 * n},
                {"upsample2_bilinear", 20.0 * n}, {"upsample2_bilinear_backward", 20.0 * n},
                {"reduce_sumsq", 4.0 * n}};
    for (size_t r = 0; r < sizeof rows / sizeof *rows; r++) {
        hb_cmd_begin(cmd);
        switch (r) {
        case 0: hb_relu(cmd, b, a); break;
        case 1: hb_add(cmd, b, a, a); break;
        case 2: hb_avgpool2(cmd, small, a, N, C, H, H); break;
        case 3: hb_avgpool2_backward(cmd, a, small, N, C, H, H, 0); break;
        case 4: hb_upsample2_bilinear(cmd, big, a, N, C, H, H); break;
        case 5: hb_upsample2_bilinear_backward(cmd, a, big, N, C, H, H); break;
        default: hb_reduce_sumsq(cmd, one, a, 1.0f); break;
        }
        hb_cmd_end(cmd);
        double ms = time_op(ctx, cmd, rows[r].op, reps);
        printf("%-28s %4d %4d %3dx%-3d %10.3f ms %8.2f GB/s\n", rows[r].op, N, C, H, H, ms,
               rows[r].bytes / (ms * 1e-3) * 1e-9);
        fflush(stdout);
    }
    hb_cmd_destroy(cmd);
    hb_free(ctx, a), hb_free(ctx, b), hb_free(ctx, big), hb_free(ctx, small), hb_free(ctx, one);
}

/* A whole number in 0..1e6 from the whole string, else -1. */
static int count_arg(const char *s) {
    char *end;
    long v = strtol(s, &end, 10);
    return *s >= '0' && *s <= '9' && !*end && v <= 1000000 ? (int)v : -1;
}

static int bench_ops(const char *device, int argc, char **argv) {
    int reps = 3, batch = 64;
    double peak = 0;
    const char *widths = "64,256";
    for (int i = 0; i < argc; i++) {
        char *end;
        if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc) reps = count_arg(argv[++i]);
        else if (strcmp(argv[i], "--peak-tflops") == 0 && i + 1 < argc) {
            peak = strtod(argv[++i], &end);
            if (*end || end == argv[i] || !(peak > 0 && peak < 1e6)) {
                fprintf(stderr, "hatebm: error: --peak-tflops '%s': expected the device's FP32 "
                                "peak in TFLOP/s, e.g. 67\n", argv[i]);
                return 2;
            }
        }
        else if (strcmp(argv[i], "--batch") == 0 && i + 1 < argc) batch = count_arg(argv[++i]);
        else if (strcmp(argv[i], "--widths") == 0 && i + 1 < argc) widths = argv[++i];
        else {
            fprintf(stderr, "hatebm: error: unknown bench ops option '%s'; options: --reps N "
                            "--batch N --widths 64,256 --peak-tflops T\n", argv[i]);
            return 2;
        }
    }
    if (reps < 1 || batch < 1) {
        fprintf(stderr, "hatebm: error: --reps and --batch take a whole number from 1 to "
                        "1000000\n");
        return 2;
    }
    int widths_c[16], nw = 0; /* checked before any work */
    char *list = strdup(widths);
    for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
        int C = count_arg(tok);
        if (C < 1 || nw == 16) {
            nw = 0;
            break;
        }
        widths_c[nw++] = C;
    }
    free(list);
    if (!nw) {
        fprintf(stderr, "hatebm: error: --widths '%s': expected 1 to 16 channel counts from 1 to "
                        "1000000 separated by commas, e.g. 64,256\n", widths);
        return 2;
    }
    hb_ctx_opts o = {.device = device, .validate = -1};
    hb_ctx *ctx = hb_ctx_create(&o);
    if (!hb_ctx_limits(ctx)->timestampPeriod) {
        hb_ctx_destroy(ctx);
        fprintf(stderr, "hatebm: error: this device has no timestamp queries; cannot bench\n");
        return 2;
    }
    hb_profile_enable(ctx, 1);
    char profile[160];
    hb_tuning_describe(hb_ctx_tuning(ctx), profile, sizeof profile);
    printf("hatebm bench ops on %s (%s): SN-GAN 32x32 layer shapes, device time per call; "
           "FLOPs of the direct convolution (2 N H W cin cout k^2) per second\n",
           hb_ctx_device_name(ctx), profile);
    printf("%-24s %-12s %4s %4s %4s %-7s %2s %10s %9s %9s %8s %6s\n", "op", "layer", "N", "cin",
           "cout", "HxW", "k", "ms", "gemm ms", "GFLOP/s", "TFLOP/s", "%peak");
    double t0 = hb_now_s();
    for (int w = 0; w < nw; w++) {
        int C = widths_c[w];
        conv_shape shapes[] = {{"stem 1->C", 1, C, 32, 3},  {"block 32x32", C, C, 32, 3},
                               {"block 16x16", C, C, 16, 3}, {"block 8x8", C, C, 8, 3},
                               {"shortcut1x1", C, C, 16, 1}};
        for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++)
            bench_conv(ctx, batch, &shapes[s], reps, peak);
    }
    printf("\nmemory-bound ops at [%d][64][32][32]\n", batch);
    bench_other(ctx, batch, 64, 32, reps);
    printf("\nwall time %.1f s\n", hb_now_s() - t0);
    hb_profile_enable(ctx, 0);
    hb_ctx_destroy(ctx);
    return 0;
}

/* FLOPs of one forward pass of the hat net over a batch (convolutions and linear layers). */
static double hat_flops(hb_ctx *ctx, const hb_train_cfg *c) {
    hb_graph *hat = hb_build_hat(ctx, c->res, c->nch, c->ngf_hat);
    double f = hb_g_flops(hat, c->batch_size);
    hb_g_free(hat);
    return f;
}

/* Approximate FLOPs of one synth iteration (Algorithm 1): the generator's forward, K
 * Langevin steps (hat forward and input gradient), the EBM update on positive and negative
 * samples in one batch of 2B (forward, backward data and weights) and the generator update;
 * convolutions and linear layers only, each backward pass counted at its forward's cost. */
static double iteration_flops(hb_ctx *ctx, const hb_train_cfg *c) {
    hb_graph *gen = hb_build_gen(ctx, c->res, c->nch, c->ngf_gen, c->gen_factor);
    double fh = hat_flops(ctx, c), fg = hb_g_flops(gen, c->batch_size);
    hb_g_free(gen);
    return c->mcmc_steps * 2 * fh + 6 * fh + 4 * fg;
}

/* Runs the PyTorch peer with the same sizes; returns 0 and fills the figures, or -1. */
static int torch_peer(int nch, int ngf, int batch, int steps, int iters, double *step_s,
                      double *iter_s) {
    const char *dir = getenv("HATEBM_BENCH_DIR");
    if (!dir || !*dir) dir = HB_BENCH_DIR;
    char cmd[1400], line[4096];
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 '%s/torch_langevin.py' --nch %d --ngf %d --batch %d --steps %d "
             "--iters %d --bank 1024 --temp 1e-8 2>&1",
             dir, nch, ngf, batch, steps, iters);
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    int found = 0;
    while (fgets(line, sizeof line, p)) {
        char *a = strstr(line, "\"s_per_langevin_step\": "), *b = strstr(line, "\"s_per_iteration\": ");
        if (a && b) {
            *step_s = atof(a + 23);
            *iter_s = atof(b + 19);
            found = 1;
        }
    }
    return pclose(p) == 0 && found ? 0 : -1;
}

typedef struct {
    const char *name;
    int nch, ngf, batch;
} langevin_config;

#define BENCH_MAX_REPEAT 20

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}
static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* repeat rounds of (our chain, the peer's run): on shared machines either side moves by 10-20%
 * within minutes, so with more than one round the medians are printed too */
static void bench_langevin_config(hb_ctx *ctx, const langevin_config *lc, int steps, int iters,
                                  int peer, int repeat) {
    hb_train_cfg cfg = {.mode = HB_MODE_SYNTH, .res = 32, .nch = lc->nch, .ngf_hat = lc->ngf, .ngf_gen = lc->ngf,
                        .gen_factor = 2.0f, .batch_size = lc->batch, .mcmc_steps = steps,
                        .persistent_size = 1024, .epsilon = 5e-4f, .mcmc_temp = 1e-8f,
                        .max_langevin_norm_res = 2.5f, .data_epsilon = 1e-3f, .lr_ebm = 1e-4f,
                        .lr_gen = 1e-4f, .gen_loss_factor_coop = 1000, .ema_decay = 0.9999f,
                        .init_scale_latent = 1.0f, .seed = 1};
    printf("\n%s: 32x32, %d channel(s), ngf %d, batch %d, K = %d Langevin steps\n", lc->name,
           lc->nch, lc->ngf, lc->batch, steps);
    fflush(stdout);
    size_t before = hb_device_bytes(ctx);
    char err[512];
    hb_trainer *s = hb_trainer_new(ctx, &cfg, NULL, err, sizeof err);
    if (!s) hb_die(2, "%s", err);
    size_t n = (size_t)lc->batch * lc->nch * 32 * 32;
    float *data = malloc(n * sizeof *data);
    for (size_t i = 0; i < n; i++) data[i] = (float)((i * 2654435761u) % 2001) / 1000.0f - 1.0f;
    hb_trainer_sample(s); /* warm-up: pipelines, first touch of memory */
    double ours[BENCH_MAX_REPEAT], theirs[BENCH_MAX_REPEAT], ratio[BENCH_MAX_REPEAT], pstep = 0,
           piter = 0, piters[BENCH_MAX_REPEAT];
    int npeer = 0;
    for (int r = 0; r < repeat; r++) {
        double t0 = hb_now_s();
        hb_trainer_sample(s);
        ours[r] = (hb_now_s() - t0) / steps;
        printf("  hatebm   %8.4f s per Langevin step\n", ours[r]);
        fflush(stdout);
        if (!peer) continue;
        if (torch_peer(lc->nch, lc->ngf, lc->batch, steps, iters, &pstep, &piter) != 0) {
            printf("  pytorch  peer unavailable (needs /usr/bin/python3 with torch and "
                   "bench/torch_langevin.py; set HATEBM_BENCH_DIR)\n");
            peer = 0;
            continue;
        }
        theirs[npeer] = pstep, piters[npeer] = piter, ratio[npeer] = ours[r] / pstep;
        printf("  pytorch  %8.4f s per Langevin step, %8.3f s per iteration (CPU, 2 threads); "
               "ratio %.2f\n", pstep, piter, ratio[npeer]);
        fflush(stdout);
        npeer++;
    }
    hb_train_metrics m;
    hb_trainer_step(s, data, cfg.lr_ebm, cfg.lr_gen, &m); /* warm-up */
    size_t after_first = hb_device_bytes(ctx);
    double host = 0, dev = 0;
    double t0 = hb_now_s();
    for (int i = 0; i < iters; i++) {
        hb_trainer_step(s, data, cfg.lr_ebm, cfg.lr_gen, &m);
        host += m.host_s;
        dev += m.device_s;
    }
    double iter = (hb_now_s() - t0) / iters;
    printf("  hatebm   %8.3f s per iteration (host %.3f%% of device time; device memory %.0f MiB "
           "after iteration 1, %.0f MiB after iteration %d)\n",
           iter, 100 * host / dev, (after_first - before) / 1048576.0,
           (hb_device_bytes(ctx) - before) / 1048576.0, iters + 1);
    double step = median(ours, repeat);
    if (npeer > 1) {
        printf("  medians of %d rounds: hatebm %.4f, pytorch %.4f s per Langevin step; pytorch "
               "%.3f s per iteration\n", npeer, step, median(theirs, npeer), median(piters, npeer));
        printf("  ratio hatebm/pytorch: %.2f per Langevin step (median of the rounds' ratios), "
               "%.2f per iteration\n", median(ratio, npeer), iter / median(piters, npeer));
    } else if (npeer == 1) {
        printf("  ratio hatebm/pytorch: %.2f per Langevin step, %.2f per iteration\n", ratio[0],
               iter / piter);
    } else if (repeat > 1) {
        printf("  median of %d rounds: hatebm %.4f s per Langevin step\n", repeat, step);
    }
    /* the rate either engine would need in products per second: against the device's FMA
     * peak it bounds the ratio any kernel doing these products could reach */
    double fstep = 2 * hat_flops(ctx, &cfg), fiter = iteration_flops(ctx, &cfg);
    printf("  GFLOP (convolution and linear products, backward passes at the forward's cost): "
           "%.2f per Langevin step, %.1f per iteration; effective GFLOP/s: hatebm %.0f per step, "
           "%.0f per iteration", fstep * 1e-9, fiter * 1e-9, fstep / step * 1e-9, fiter / iter * 1e-9);
    if (npeer > 0)
        printf("; pytorch %.0f per step, %.0f per iteration", fstep / median(theirs, npeer) * 1e-9,
               fiter / median(piters, npeer) * 1e-9);
    printf("\n");
    fflush(stdout);
    free(data);
    hb_trainer_free(s);
}

static int bench_langevin(const char *device, int argc, char **argv) {
    int steps = 20, iters = 2, peer = 1, ngf = 0, batch = 0, repeat = 1;
    const char *which = "all";
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--steps") == 0 && i + 1 < argc) steps = count_arg(argv[++i]);
        else if (strcmp(argv[i], "--iters") == 0 && i + 1 < argc) iters = count_arg(argv[++i]);
        else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) which = argv[++i];
        else if (strcmp(argv[i], "--no-peer") == 0) peer = 0;
        else if (strcmp(argv[i], "--ngf") == 0 && i + 1 < argc) ngf = count_arg(argv[++i]);
        else if (strcmp(argv[i], "--batch") == 0 && i + 1 < argc) batch = count_arg(argv[++i]);
        else if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc) repeat = count_arg(argv[++i]);
        else {
            fprintf(stderr, "hatebm: error: unknown bench langevin option '%s'; options: "
                            "--steps K --iters N --config fmnist|cifar|all --ngf N --batch N "
                            "--repeat N --no-peer\n",
                    argv[i]);
            return 2;
        }
    }
    if (steps < 1 || iters < 1 || ngf < 0 || ngf > 8192 || batch < 0 || batch > 4096 ||
        repeat < 1 || repeat > BENCH_MAX_REPEAT) {
        fprintf(stderr, "hatebm: error: --steps and --iters take a whole number from 1 to "
                        "1000000, --ngf 1 to 8192, --batch 1 to 4096, --repeat 1 to %d\n",
                BENCH_MAX_REPEAT);
        return 2;
    }
    if (strcmp(which, "all") != 0 && strcmp(which, "fmnist") != 0 && strcmp(which, "cifar") != 0) {
        fprintf(stderr, "hatebm: error: unknown --config '%s'; use fmnist, cifar or all\n", which);
        return 2;
    }
    langevin_config configs[] = {{"fmnist", 1, 64, 64}, {"cifar", 3, 256, 128}};
    for (int c = 0; c < 2; c++) { /* --ngf / --batch replace the configs' sizes */
        if (ngf) configs[c].ngf = ngf;
        if (batch) configs[c].batch = batch;
    }
    hb_ctx_opts o = {.device = device, .validate = -1};
    hb_ctx *ctx = hb_ctx_create(&o);
    printf("hatebm bench langevin on %s: conditional Hat EBM (Algorithm 1), hat net and generator "
           "SN-GAN 32x32\n", hb_ctx_device_name(ctx));
    for (size_t c = 0; c < sizeof configs / sizeof *configs; c++) {
        if (strcmp(which, "all") != 0 && strcmp(which, configs[c].name) != 0) continue;
        bench_langevin_config(ctx, &configs[c], steps, iters, peer, repeat);
    }
    hb_ctx_destroy(ctx);
    return 0;
}

static int bench_scaling(const char *device, int argc, char **argv) {
    const char *axis = "all";
    int quick = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--axis") == 0 && i + 1 < argc) axis = argv[++i];
        else if (strcmp(argv[i], "--quick") == 0) quick = 1;
        else {
            fprintf(stderr, "hatebm: error: unknown bench scaling option '%s'; options: "
                            "--axis batch|ngf|k|res|all --quick\n", argv[i]);
            return 2;
        }
    }
    /* one axis at a time from a small base: 3 channels, 32x32, ngf 32, batch 16, K = 10 */
    static const struct {
        const char *name;
        int values[5], n, nquick;
    } axes[] = {{"batch", {16, 32, 64, 128, 256}, 5, 3}, {"ngf", {16, 32, 64, 128, 256}, 5, 3},
                {"k", {10, 30, 100}, 3, 2},             {"res", {32, 64, 128}, 3, 2}};
    int any = 0;
    for (size_t a = 0; a < sizeof axes / sizeof *axes; a++)
        any |= !strcmp(axis, "all") || !strcmp(axis, axes[a].name);
    if (!any) {
        fprintf(stderr, "hatebm: error: unknown --axis '%s'; use batch, ngf, k, res or all\n",
                axis);
        return 2;
    }
    hb_ctx_opts o = {.device = device, .validate = -1};
    hb_ctx *ctx = hb_ctx_create(&o);
    printf("hatebm bench scaling on %s: seconds per synth iteration (Algorithm 1) as one size "
           "grows; FLOPs of convolutions and linear layers\n", hb_ctx_device_name(ctx));
    printf("%-6s %4s %4s %5s %3s %10s %12s %9s\n", "axis", "res", "ngf", "batch", "K", "s / iter",
           "GFLOP / iter", "GFLOP/s");
    for (size_t a = 0; a < sizeof axes / sizeof *axes; a++) {
        if (strcmp(axis, "all") != 0 && strcmp(axis, axes[a].name) != 0) continue;
        for (int v = 0; v < (quick ? axes[a].nquick : axes[a].n); v++) {
            int x = axes[a].values[v];
            hb_train_cfg cfg = {.mode = HB_MODE_SYNTH, .res = a == 3 ? x : 32, .nch = 3,
                                .ngf_hat = a == 1 ? x : 32, .ngf_gen = a == 1 ? x : 32,
                                .gen_factor = 2.0f, .batch_size = a == 0 ? x : 16,
                                .mcmc_steps = a == 2 ? x : 10, .persistent_size = 1024,
                                .epsilon = 5e-4f, .mcmc_temp = 1e-8f,
                                .max_langevin_norm_res = 2.5f, .data_epsilon = 1e-3f,
                                .lr_ebm = 1e-4f, .lr_gen = 1e-4f, .gen_loss_factor_coop = 1000,
                                .ema_decay = 0.9999f, .init_scale_latent = 1.0f, .seed = 1};
            char err[512];
            hb_trainer *s = hb_trainer_new(ctx, &cfg, NULL, err, sizeof err);
            if (!s) hb_die(2, "%s", err);
            size_t n = (size_t)cfg.batch_size * cfg.nch * cfg.res * cfg.res;
            float *data = malloc(n * sizeof *data);
            for (size_t i = 0; i < n; i++)
                data[i] = (float)((i * 2654435761u) % 2001) / 1000.0f - 1.0f;
            hb_train_metrics m;
            hb_trainer_step(s, data, cfg.lr_ebm, cfg.lr_gen, &m); /* warm-up */
            double t0 = hb_now_s();
            hb_trainer_step(s, data, cfg.lr_ebm, cfg.lr_gen, &m);
            double t = hb_now_s() - t0, flop = iteration_flops(ctx, &cfg);
            printf("%-6s %4d %4d %5d %3d %10.3f %12.1f %9.1f\n", axes[a].name, cfg.res,
                   cfg.ngf_hat, cfg.batch_size, cfg.mcmc_steps, t, flop * 1e-9, flop / t * 1e-9);
            fflush(stdout);
            free(data);
            hb_trainer_free(s);
        }
    }
    hb_ctx_destroy(ctx);
    return 0;
}

int cli_bench(const char *device, int argc, char **argv) {
    if (argc >= 1 && strcmp(argv[0], "ops") == 0) return bench_ops(device, argc - 1, argv + 1);
    if (argc >= 1 && strcmp(argv[0], "langevin") == 0)
        return bench_langevin(device, argc - 1, argv + 1);
    if (argc >= 1 && strcmp(argv[0], "scaling") == 0)
        return bench_scaling(device, argc - 1, argv + 1);
    fprintf(stderr, "hatebm: error: usage: hatebm bench ops [--reps N] [--batch N] "
                    "[--widths 64,256] [--peak-tflops T] | bench langevin [--steps K] [--iters N] "
                    "[--config fmnist|cifar|all] [--ngf N] [--batch N] [--no-peer] | bench scaling "
                    "[--axis batch|ngf|k|res|all] [--quick]\n");
    return 2;
}
