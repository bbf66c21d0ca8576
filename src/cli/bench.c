/* hatebm bench: figures, never assertions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

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

static void bench_conv(hb_ctx *ctx, int N, const conv_shape *s, int reps) {
    int H = s->H, W = s->H, k = s->k;
    size_t nin = (size_t)N * s->cin * H * W, nout = (size_t)N * s->cout * H * W;
    size_t nw = (size_t)s->cout * s->cin * k * k;
    hb_tensor x = hb_alloc(ctx, nin), y = hb_alloc(ctx, nout), w = hb_alloc(ctx, nw),
              b = hb_alloc(ctx, s->cout), gx = hb_alloc(ctx, nin), gw = hb_alloc(ctx, nw),
              gb = hb_alloc(ctx, s->cout);
    size_t wsn = hb_conv2d_backward_weight_workspace(ctx, N, s->cin, s->cout, H, W, k);
    hb_tensor ws = hb_alloc(ctx, wsn ? wsn : 1);
    hb_cmd *cmd = hb_cmd_create(ctx);
    double flop = 2.0 * N * H * W * s->cin * s->cout * k * k;
    const char *ops[3] = {"conv2d_forward", "conv2d_backward_data", "conv2d_backward_weight"};
    for (int o = 0; o < 3; o++) {
        hb_cmd_begin(cmd);
        if (o == 0) hb_conv2d_forward(cmd, y, x, w, b, N, s->cin, s->cout, H, W, k);
        if (o == 1) hb_conv2d_backward_data(cmd, gx, y, w, N, s->cin, s->cout, H, W, k, 0);
        if (o == 2) hb_conv2d_backward_weight(cmd, gw, gb, x, y, ws, N, s->cin, s->cout, H, W, k);
        hb_cmd_end(cmd);
        double ms = time_op(ctx, cmd, ops[o], reps);
        printf("%-24s %-12s %4d %4d %4d %3dx%-3d %2d %10.3f %9.2f\n", ops[o], s->layer, N, s->cin,
               s->cout, H, W, k, ms, flop / (ms * 1e-3) * 1e-9);
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

static int bench_ops(const char *device, int argc, char **argv) {
    int reps = 3, batch = 64;
    const char *widths = "64,256";
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc) reps = atoi(argv[++i]);
        else if (strcmp(argv[i], "--batch") == 0 && i + 1 < argc) batch = atoi(argv[++i]);
        else if (strcmp(argv[i], "--widths") == 0 && i + 1 < argc) widths = argv[++i];
        else {
            fprintf(stderr, "hatebm: error: unknown bench ops option '%s'; options: --reps N "
                            "--batch N --widths 64,256\n", argv[i]);
            return 2;
        }
    }
    if (reps < 1 || batch < 1) {
        fprintf(stderr, "hatebm: error: --reps and --batch must be positive\n");
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
    printf("hatebm bench ops on %s: SN-GAN 32x32 layer shapes, device time per call\n",
           hb_ctx_device_name(ctx));
    printf("%-24s %-12s %4s %4s %4s %-7s %2s %10s %9s\n", "op", "layer", "N", "cin", "cout", "HxW",
           "k", "ms", "GFLOP/s");
    double t0 = now_s();
    char *list = strdup(widths);
    for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
        int C = atoi(tok);
        if (C < 1) {
            fprintf(stderr, "hatebm: error: bad width '%s' in --widths\n", tok);
            free(list);
            hb_ctx_destroy(ctx);
            return 2;
        }
        conv_shape shapes[] = {{"stem 1->C", 1, C, 32, 3},  {"block 32x32", C, C, 32, 3},
                               {"block 16x16", C, C, 16, 3}, {"block 8x8", C, C, 8, 3},
                               {"shortcut1x1", C, C, 16, 1}};
        for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++)
            bench_conv(ctx, batch, &shapes[s], reps);
    }
    free(list);
    printf("\nmemory-bound ops at [%d][64][32][32]\n", batch);
    bench_other(ctx, batch, 64, 32, reps);
    printf("\nwall time %.1f s\n", now_s() - t0);
    hb_profile_enable(ctx, 0);
    hb_ctx_destroy(ctx);
    return 0;
}

int cli_bench(const char *device, int argc, char **argv) {
    if (argc >= 1 && strcmp(argv[0], "ops") == 0) return bench_ops(device, argc - 1, argv + 1);
    fprintf(stderr, "hatebm: error: usage: hatebm bench ops [--reps N] [--batch N] "
                    "[--widths 64,256]\n");
    return 2;
}
