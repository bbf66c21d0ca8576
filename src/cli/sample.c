/* hatebm sample RUN_DIR|CHECKPOINT --out DIR [--n N] [--steps K] [--batch B] [--seed S]
 *                [--trajectory all|K1,K2,...] [--weights ema|current]
 *
 * The run's own short-run Langevin chain (conditional or joint, per its config) with its EMA
 * weights. Writes into DIR (never over earlier samples):
 *   x.npy    the samples X = G(Z) + Y after K steps: uint8 NHWC, like the authors' FID inputs
 *   gz.npy   G(Z) of the same chains (joint: the moved Z); with --steps 0 these are the
 *            generator's (or decoder's) own samples, the "before" of refinement and retrofit
 *   grid.png the first 16 chains, rows X, G(Z), 5 Y (Figure 3)
 *   trajectory_{x,gz,y}.npy with --trajectory: float32 [S][n][c][h][w] at the chosen steps,
 *            which trajectory_steps.npy lists.
 * Under mpirun the batches are shared out (batch c to process c % N, each from its own seed as
 * in one process) and process 0 writes the one set. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/base.h"
#include "cli/cli.h"
#include "dist/dist.h"
#include "io/files.h"
#include "io/npy.h"
#include "train/grid.h"
#include "train/sampler.h"

#define MAX_SNAPSHOTS 1024

static int usage(void) {
    fprintf(stderr, "hatebm: error: usage: hatebm sample RUN_DIR|CHECKPOINT --out DIR [--n N] "
                    "[--steps K] [--batch B] [--seed S] [--trajectory all|K1,K2,...] "
                    "[--weights ema|current]\n");
    return 2;
}

static int parse_long(const char *s, long lo, long hi, long *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

/* "all" or an increasing list of steps in 0..K; *n snapshots into steps[]. */
static int parse_snapshots(const char *s, long K, long *steps, int *n) {
    *n = 0;
    if (strcmp(s, "all") == 0) {
        if (K + 1 > MAX_SNAPSHOTS) return -1;
        for (long k = 0; k <= K; k++) steps[(*n)++] = k;
        return 0;
    }
    char buf[4096], *save = NULL;
    snprintf(buf, sizeof buf, "%s", s);
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        long v;
        if (*n == MAX_SNAPSHOTS || parse_long(tok, 0, K, &v) || (*n && v <= steps[*n - 1]))
            return -1;
        steps[(*n)++] = v;
    }
    return *n ? 0 : -1;
}

static int exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

/* What hatebm sample writes: n chains' X, G(Z), Y [n][C][R][R], and with snapshots their
 * values at the nsnap steps snap[] (tx, tg, ty: [nsnap][n][C][R][R]). */
typedef struct {
    const char *out;
    int n, C, R;
    const float *x, *g, *y;
    int nsnap;
    const long *snap;
    const float *tx, *tg, *ty;
} samples;

/* gz.npy, grid.png, the trajectories, and last x.npy: its presence marks a complete set. 0,
 * or -1 + err. */
static int write_samples(const samples *s, char *err, size_t errlen) {
    char path[4200];
    int C = s->C, R = s->R, ngrid = s->n < 16 ? s->n : 16;
    snprintf(path, sizeof path, "%s/gz.npy", s->out);
    if (hb_npy_write_images(path, s->g, s->n, C, R, R, err, errlen)) return -1;
    snprintf(path, sizeof path, "%s/grid.png", s->out);
    if (hb_write_grid(path, s->x, s->g, s->y, ngrid, C, R, 5.0f, err, errlen)) return -1;
    if (s->nsnap) {
        const char *names[3] = {"x", "gz", "y"};
        const float *arrays[3] = {s->tx, s->tg, s->ty};
        int64_t shape[5] = {s->nsnap, s->n, C, R, R}, ns = s->nsnap;
        for (int a = 0; a < 3; a++) {
            snprintf(path, sizeof path, "%s/trajectory_%s.npy", s->out, names[a]);
            if (hb_npy_write_f32(path, arrays[a], 5, shape, err, errlen)) return -1;
        }
        float fs[MAX_SNAPSHOTS];
        for (int k = 0; k < s->nsnap; k++) fs[k] = (float)s->snap[k];
        snprintf(path, sizeof path, "%s/trajectory_steps.npy", s->out);
        if (hb_npy_write_f32(path, fs, 1, &ns, err, errlen)) return -1;
    }
    snprintf(path, sizeof path, "%s/x.npy", s->out);
    return hb_npy_write_images(path, s->x, s->n, C, R, R, err, errlen) ? -1 : 0;
}

/* Every process filled only its batches' rows of each array (hb_dist_gather_buffer's -0.0
 * elsewhere): summed over the processes, each array is the whole set, bit for bit. */
static void gather_batches(float *const *arrays, int count, size_t n) {
    for (int a = 0; a < count; a++)
        if (arrays[a]) hb_dist_sum(arrays[a], n);
}

int cli_sample(const char *device, int argc, char **argv) {
    const char *run = NULL, *out = NULL, *traj = NULL, *weights = "ema";
    long n = 64, steps = -1, batch = 0, seed = 1;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int bad = 0;
        if (a[0] != '-') {
            if (run) return usage();
            run = a;
            continue;
        }
        if (!v) return usage();
        if (strcmp(a, "--out") == 0) out = v;
        else if (strcmp(a, "--trajectory") == 0) traj = v;
        else if (strcmp(a, "--weights") == 0) weights = v;
        else if (strcmp(a, "--n") == 0) bad = parse_long(v, 1, 1000000, &n);
        else if (strcmp(a, "--steps") == 0) bad = parse_long(v, 0, 1000000, &steps);
        else if (strcmp(a, "--batch") == 0) bad = parse_long(v, 1, 4096, &batch);
        else if (strcmp(a, "--seed") == 0) bad = parse_long(v, 0, 1L << 40, &seed);
        else return usage();
        if (bad) {
            fprintf(stderr, "hatebm: error: %s %s: expected a whole number in range\n", a, v);
            return 2;
        }
        i++;
    }
    if (!run || !out) return usage();
    if (strcmp(weights, "ema") != 0 && strcmp(weights, "current") != 0) {
        fprintf(stderr, "hatebm: error: --weights %s: expected ema or current\n", weights);
        return 2;
    }
    char path[4200], err[1024];
    snprintf(path, sizeof path, "%s/x.npy", out);
    if (exists(path)) {
        fprintf(stderr, "hatebm: error: %s already holds samples; choose another --out\n", out);
        return 2;
    }
    if (!batch) batch = n < 100 ? n : 100;
    hb_ctx_opts o = {.device = device, .validate = -1, .quiet = 1}; /* errors stay one line */
    hb_ctx *ctx = hb_ctx_create(&o);
    hb_config cfg;
    hb_sampler *s = hb_sampler_new(ctx, run, (int)batch, weights[0] == 'e', &cfg, err, sizeof err);
    if (!s) {
        fprintf(stderr, "hatebm: error: %s\n", err);
        hb_ctx_destroy(ctx);
        return 2;
    }
    if (steps < 0) steps = cfg.mcmc_steps;
    fprintf(stderr, "hatebm: using %s\n", hb_ctx_device_name(ctx));
    long snap[MAX_SNAPSHOTS];
    int nsnap = 0, rc = 2;
    size_t D = (size_t)cfg.channels * cfg.image_size * cfg.image_size, B = (size_t)batch;
    if (traj && parse_snapshots(traj, steps, snap, &nsnap) != 0) {
        fprintf(stderr, "hatebm: error: --trajectory %s: expected all or increasing steps in "
                        "0..%ld (at most %d)\n", traj, steps, MAX_SNAPSHOTS);
        goto done_early;
    }
    if ((double)n * D * (3.0 * nsnap + 3) * sizeof(float) > 16e9) {
        fprintf(stderr, "hatebm: error: %ld samples%s need more than 16 GB of host memory; "
                        "sample fewer (--n) or fewer --trajectory steps\n", n,
                traj ? " with their trajectories" : "");
        goto done_early;
    }
    if (hb_dist_rank() == 0 && hb_mkdir_p(out) != 0) {
        fprintf(stderr, "hatebm: error: cannot create %s: %s\n", out, strerror(errno));
        goto done_early;
    }
    float *x = hb_dist_gather_buffer((size_t)n * D), *g = hb_dist_gather_buffer((size_t)n * D);
    float *y = hb_dist_gather_buffer((size_t)n * D);
    float *bx = malloc(B * D * 4), *bg = malloc(B * D * 4), *by = malloc(B * D * 4);
    size_t tn = (size_t)nsnap * n * D;
    float *tx = nsnap ? hb_dist_gather_buffer(tn) : NULL;
    float *tg = nsnap ? hb_dist_gather_buffer(tn) : NULL;
    float *ty = nsnap ? hb_dist_gather_buffer(tn) : NULL;
    long chunks = (n + batch - 1) / batch;
    fprintf(stderr, "hatebm: sampling %ld chains of %ld %s Langevin steps (%s weights) in %ld "
                    "batch%s of %ld\n", n, steps, hb_sampler_joint(s) ? "joint (Y and Z)" : "conditional (Y)",
            weights, chunks, chunks == 1 ? "" : "es", batch);
    for (long c = hb_dist_rank(); c < chunks; c += hb_dist_size()) {
        long at = c * batch, m = n - at < batch ? n - at : batch;
        hb_sampler_restart(s, (uint64_t)seed * 1000003u + (uint64_t)c);
        for (int k = 0, done = 0; k <= nsnap; k++) { /* up to each snapshot, then to K */
            long until = k < nsnap ? snap[k] : steps;
            hb_sampler_step(s, (int)(until - done));
            done = (int)until;
            if (k == nsnap) break;
            hb_sampler_read(s, bx, bg, by, NULL);
            size_t o2 = ((size_t)k * n + at) * D;
            memcpy(tx + o2, bx, m * D * 4), memcpy(tg + o2, bg, m * D * 4), memcpy(ty + o2, by, m * D * 4);
        }
        hb_sampler_read(s, bx, bg, by, NULL);
        memcpy(x + at * D, bx, m * D * 4), memcpy(g + at * D, bg, m * D * 4), memcpy(y + at * D, by, m * D * 4);
        fprintf(stderr, "  batch %ld/%ld done\n", c + 1, chunks);
    }
    gather_batches((float *[]){x, g, y}, 3, (size_t)n * D);
    gather_batches((float *[]){tx, tg, ty}, 3, tn);
    samples set = {out, (int)n, cfg.channels, cfg.image_size, x, g, y, nsnap, snap, tx, tg, ty};
    rc = hb_dist_rank() == 0 && write_samples(&set, err, sizeof err) ? 2 : 0;
    if (rc) fprintf(stderr, "hatebm: error: %s\n", err);
    else fprintf(stderr, "hatebm: wrote %ld samples to %s (x.npy, gz.npy, grid.png%s)\n", n, out,
                 nsnap ? ", trajectory_*.npy" : "");
    free(x), free(g), free(y), free(bx), free(bg), free(by), free(tx), free(tg), free(ty);
done_early:
    hb_sampler_free(s);
    hb_ctx_destroy(ctx);
    return rc;
}
