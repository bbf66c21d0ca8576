/* hatebm fid A B [--inception [WEIGHTS]] [--classifier PATH] [--max N] [--max-a N]
 * hatebm fid A --save-stats FILE.npz [...]
 *
 * The Frechet distance between features of two image sets, each a .npy (uint8 or float in
 * [-1, 1]), an image folder, a data set spec, or FID statistics (.npz of mu and sigma, as
 * pytorch-fid and TTUR save them). Features: by default the project's Fashion-MNIST classifier
 * ("FID, FMNIST-classifier features", 32x32 images; not comparable with Inception FID); with
 * --inception pytorch-fid's FID Inception network (src/eval/inception.h), on images of any
 * size and 1 or 3 channels: Inception FID comparable with pytorch-fid. With the classifier each
 * set's predicted classes are printed too (the share of each Fashion-MNIST class: which kinds
 * of item a sampler covers, what FID sums into one number). --save-stats writes the
 * statistics of one set instead of a distance. --max N keeps N images of each set, --max-a N
 * of A only (evenly spaced over the set). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "eval/fid.h"
#include "eval/inception.h"
#include "io/files.h"
#include "train/classifier.h"

#define INCEPTION_PTH "pt_inception-2015-12-05-6726825d.pth"

static int usage(void) {
    fprintf(stderr, "hatebm: error: usage: hatebm fid A B [--inception [WEIGHTS.safetensors]] "
                    "[--classifier PATH] [--max N] [--max-a N] | hatebm fid A --save-stats "
                    "FILE.npz [..] (A, B: .npy files, image folders, data sets such as "
                    "fashion-mnist:test, or .npz statistics)\n");
    return 2;
}

const char *cli_default_classifier(void) {
    const char *env = getenv("HATEBM_CLASSIFIER");
    return env && *env ? env : HB_ASSETS_DIR "/fmnist_classifier.safetensors";
}

static const char *default_inception(void) {
    const char *env = getenv("HATEBM_INCEPTION");
    return env && *env ? env : HB_ASSETS_DIR "/pt_inception-2015-12-05.safetensors";
}

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* The feature network: the classifier, or the Inception network when inception is set */
typedef struct {
    hb_ctx *ctx;
    const char *device, *classifier, *inception;
    hb_classifier *cls;
    hb_inception *net;
    double t0; /* progress: when the current set started */
} extractor;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Like train's: a bar redrawn in place on a terminal, else a line per tenth */
static void progress(void *user, long done, long total) {
    extractor *e = user;
    double dt = now() - e->t0, rate = dt > 0 ? done / dt : 0,
           eta = rate > 0 ? (total - done) / rate : 0,
           gflops = rate * hb_inception_flops(e->net) * 1e-9;
    if (isatty(2)) {
        int width = 24, bar = (int)(width * (double)done / total);
        fprintf(stderr, "\r[%.*s%.*s] %ld/%ld images  %.2f img/s (%.1f GFLOP/s)  ETA %ld:%02ld   ",
                bar, "########################", width - bar, "........................", done,
                total, rate, gflops, (long)eta / 60, (long)eta % 60);
        if (done == total) fputc('\n', stderr);
    } else if (done == total ||
               done * 10 / total != (done - hb_inception_batch(e->net)) * 10 / total)
        fprintf(stderr,
                "inception features: %ld/%ld images  %.2f img/s (%.1f GFLOP/s)  ETA %ld:%02ld\n",
                done, total, rate, gflops, (long)eta / 60, (long)eta % 60);
    fflush(stderr);
}

/* Creates the context and loads the network on first use; 0 or 2 (message printed). */
static int extractor_ready(extractor *e) {
    char err[1024];
    if (e->cls || e->net) return 0;
    if (e->inception && !hb_is_file(e->inception)) {
        fprintf(stderr,
                "hatebm: error: %s: no such file; Inception FID needs pytorch-fid's "
                "weights: python3 scripts/convert_inception.py " INCEPTION_PTH " %s (or "
                "pass --inception PATH, or set HATEBM_INCEPTION)\n",
                e->inception, e->inception);
        return 2;
    }
    hb_ctx_opts o = {.device = e->device, .validate = -1, .quiet = 1}; /* errors stay one line */
    if (!e->ctx && !(e->ctx = hb_ctx_create(&o))) return 2;
    if (e->inception) {
        e->net =
            hb_inception_load(e->ctx, e->inception, HB_INCEPTION_DEFAULT_BATCH, err, sizeof err);
        if (!e->net)
            fprintf(stderr,
                    "hatebm: error: %s (convert pytorch-fid's " INCEPTION_PTH
                    " with scripts/convert_inception.py)\n",
                    err);
        return e->net ? 0 : 2;
    }
    e->cls = hb_classifier_load(e->ctx, e->classifier, 250, err, sizeof err);
    if (!e->cls)
        fprintf(stderr,
                "hatebm: error: %s; train it with 'hatebm train "
                "configs/fashion_mnist_classifier.ini' or pass --classifier PATH\n",
                err);
    return e->cls ? 0 : 2;
}

static const char *const fmnist_classes[HB_CLASSIFIER_CLASSES] = {
    "T-shirt/top", "trouser", "pullover", "dress", "coat",
    "sandal",      "shirt",   "sneaker",  "bag",   "ankle boot"};

/* "classes of SET: T-shirt/top 10.1%, ..." from the predicted classes of n images */
static void class_line(char *buf, size_t len, const char *set, const int *pred, int n) {
    int count[HB_CLASSIFIER_CLASSES] = {0};
    for (int i = 0; i < n; i++) count[pred[i]]++;
    size_t at = (size_t)snprintf(buf, len, "classes of %s (FMNIST classifier):", set);
    for (int k = 0; k < HB_CLASSIFIER_CLASSES && at < len; k++)
        at += (size_t)snprintf(buf + at, len - at, "%s %s %.1f%%", k ? "," : "",
                               fmnist_classes[k], 100.0 * count[k] / n);
}

/* Feature statistics of one set (or its .npz statistics); 0 or 2 (message printed). *n: the
 * images, 0 for statistics read. With the classifier, the set's class line in classes. */
static int set_stats(extractor *e, const char *arg, int max, hb_fid_stats *st, int *n,
                     char *classes, size_t classes_len) {
    char err[1024];
    *n = 0;
    if (ends_with(arg, ".npz")) {
        if (!hb_fid_stats_load_npz(arg, st, err, sizeof err)) return 0;
        fprintf(stderr, "hatebm: error: %s\n", err);
        return 2;
    }
    if (extractor_ready(e)) return 2;
    hb_dataset d;
    int size = e->net ? 0 : 32, channels = e->net ? 0 : hb_classifier_channels(e->cls);
    if (cli_load_images(arg, size, channels, max, &d, err, sizeof err) != 0) {
        fprintf(stderr, "hatebm: error: %s%s\n", err,
                e->net ? "" : " (the FID classifier takes 32x32 images)");
        return 2;
    }
    if (d.n < 2) {
        fprintf(stderr, "hatebm: error: %s: FID needs at least 2 images\n", arg);
        hb_dataset_free(&d);
        return 2;
    }
    int dim = e->net ? HB_INCEPTION_FEATURES : HB_CLASSIFIER_FEATURES;
    float *f = malloc((size_t)d.n * dim * sizeof *f);
    int *pred = e->net ? NULL : malloc((size_t)d.n * sizeof *pred);
    if (e->net) {
        e->t0 = now();
        hb_inception_features(e->net, d.pixels, d.n, d.c, d.h, d.w, f, progress, e);
    } else if (f && pred) {
        hb_classifier_run(e->cls, d.pixels, d.n, pred, f);
        class_line(classes, classes_len, arg, pred, d.n);
    }
    int rc = f && (e->net || pred) && hb_fid_stats_compute(f, d.n, dim, st) == 0 ? 0 : 2;
    if (rc) fprintf(stderr, "hatebm: error: out of memory for the statistics of %s\n", arg);
    *n = d.n;
    free(f), free(pred);
    hb_dataset_free(&d);
    return rc;
}

/* The distance line, then the sets' class lines; 0 or 2 */
static int report(const extractor *e, const char *const sets[2], hb_fid_stats st[2],
                  const int n[2], char classes[2][512]) {
    if (st[0].dim != st[1].dim) {
        fprintf(stderr,
                "hatebm: error: the statistics have %d and %d features; compare sets of "
                "the same features\n",
                st[0].dim, st[1].dim);
        return 2;
    }
    double fid = hb_fid_distance(&st[0], &st[1]);
    if (fid != fid) {
        fprintf(stderr, "hatebm: error: the matrix square root failed (LAPACK dsyevd)\n");
        return 2;
    }
    if (fid < 0) fid = 0; /* a distance; below zero only by rounding */
    char what[2][64];
    for (int i = 0; i < 2; i++)
        if (n[i])
            snprintf(what[i], sizeof what[i], "%d images", n[i]);
        else
            snprintf(what[i], sizeof what[i], "statistics");
    const char *kind = e->inception || st[0].dim == HB_INCEPTION_FEATURES
                           ? "FID, Inception features (pytorch-fid)"
                       : e->cls ? "FID, FMNIST-classifier features"
                                : "FID"; /* two sets of statistics of unknown features */
    printf("%s: %.4f  (%s: %s; %s: %s)\n", kind, fid, sets[0], what[0], sets[1], what[1]);
    for (int i = 0; i < 2; i++)
        if (classes[i][0]) printf("%s\n", classes[i]);
    return 0;
}

/* The options; 0, or 2 after the usage or a message */
static int parse(int argc, char **argv, extractor *e, const char *sets[2], int *nsets,
                 const char **save, long *max, long *max_a) {
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--classifier") == 0 && i + 1 < argc)
            e->classifier = argv[++i];
        else if (strcmp(argv[i], "--inception") == 0)
            e->inception = i + 1 < argc && ends_with(argv[i + 1], ".safetensors")
                               ? argv[++i]
                               : default_inception();
        else if (strcmp(argv[i], "--save-stats") == 0 && i + 1 < argc)
            *save = argv[++i];
        else if ((strcmp(argv[i], "--max") == 0 || strcmp(argv[i], "--max-a") == 0) &&
                 i + 1 < argc) {
            char *end;
            long *dst = argv[i][5] ? max_a : max;
            *dst = strtol(argv[++i], &end, 10);
            if (*end || *dst < 2) {
                fprintf(stderr, "hatebm: error: %s %s: expected a number of images >= 2\n",
                        argv[i - 1], argv[i]);
                return 2;
            }
        } else if (argv[i][0] != '-' && *nsets < 2)
            sets[(*nsets)++] = argv[i];
        else
            return usage();
    }
    if (*save && (*nsets != 1 || !ends_with(*save, ".npz"))) {
        fprintf(stderr, "hatebm: error: --save-stats FILE.npz takes one set (its statistics are "
                        "written, no distance computed)\n");
        return 2;
    }
    return *nsets == 2 || *save ? 0 : usage();
}

int cli_fid(const char *device, int argc, char **argv) {
    const char *sets[2] = {NULL, NULL}, *save = NULL;
    int nsets = 0;
    long max = 0, max_a = 0;
    extractor e = {.device = device, .classifier = cli_default_classifier()};
    if (parse(argc, argv, &e, sets, &nsets, &save, &max, &max_a)) return 2;
    char err[1024];
    hb_fid_stats st[2] = {{0}, {0}};
    char classes[2][512] = {"", ""};
    int n[2] = {0, 0}, rc = set_stats(&e, sets[0], (int)(max_a ? max_a : max), &st[0], &n[0],
                                      classes[0], sizeof classes[0]);
    if (!rc && save) {
        rc = hb_fid_stats_save_npz(save, &st[0], err, sizeof err) ? 2 : 0;
        if (rc)
            fprintf(stderr, "hatebm: error: %s\n", err);
        else
            printf("statistics of %s (%d features, %d images) written to %s\n", sets[0], st[0].dim,
                   n[0], save);
    } else if (!rc) {
        rc = set_stats(&e, sets[1], (int)max, &st[1], &n[1], classes[1], sizeof classes[1]);
        if (!rc && e.ctx)
            fprintf(stderr, "hatebm: features computed on %s\n", hb_ctx_device_name(e.ctx));
        if (!rc) rc = report(&e, sets, st, n, classes);
    }
    hb_fid_stats_free(&st[0]), hb_fid_stats_free(&st[1]);
    if (e.cls) hb_classifier_free(e.cls);
    hb_inception_free(e.net);
    if (e.ctx) hb_ctx_destroy(e.ctx);
    return rc;
}
