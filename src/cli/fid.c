/* hatebm fid A B [--classifier PATH] [--max N] [--max-a N]
 *
 * "FID, FMNIST-classifier features": the Frechet distance between the penultimate-layer
 * features of the project's Fashion-MNIST classifier (configs/fashion_mnist_classifier.ini,
 * shipped as assets/fmnist_classifier.safetensors) on two image sets, each a .npy (uint8 or
 * float in [-1, 1]), an image folder or a data set spec. Not comparable with Inception FID.
 * --max N keeps N images of each set, --max-a N of A only (evenly spaced over the set). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "eval/fid.h"
#include "train/classifier.h"

static int usage(void) {
    fprintf(stderr, "hatebm: error: usage: hatebm fid A B [--classifier PATH] [--max N] [--max-a N] (A, B: "
                    ".npy files, image folders or data sets such as fashion-mnist:test)\n");
    return 2;
}

const char *cli_default_classifier(void) {
    const char *env = getenv("HATEBM_CLASSIFIER");
    return env && *env ? env : HB_ASSETS_DIR "/fmnist_classifier.safetensors";
}

/* Feature statistics of one set; 0 or 2 (message printed). */
static int set_stats(hb_classifier *c, const char *arg, int max, hb_fid_stats *st, int *n) {
    char err[1024];
    hb_dataset d;
    if (cli_load_images(arg, 32, hb_classifier_channels(c), max, &d, err, sizeof err) != 0) {
        fprintf(stderr, "hatebm: error: %s (the FID classifier takes 32x32 images)\n", err);
        return 2;
    }
    if (d.n < 2) {
        fprintf(stderr, "hatebm: error: %s: FID needs at least 2 images\n", arg);
        hb_dataset_free(&d);
        return 2;
    }
    float *f = malloc((size_t)d.n * HB_CLASSIFIER_FEATURES * sizeof *f);
    hb_classifier_run(c, d.pixels, d.n, NULL, f);
    int rc = hb_fid_stats_compute(f, d.n, HB_CLASSIFIER_FEATURES, st) == 0 ? 0 : 2;
    if (rc) fprintf(stderr, "hatebm: error: out of memory for the statistics of %s\n", arg);
    *n = d.n;
    free(f);
    hb_dataset_free(&d);
    return rc;
}

int cli_fid(const char *device, int argc, char **argv) {
    const char *sets[2] = {NULL, NULL}, *classifier = cli_default_classifier();
    int nsets = 0;
    long max = 0, max_a = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--classifier") == 0 && i + 1 < argc) classifier = argv[++i];
        else if ((strcmp(argv[i], "--max") == 0 || strcmp(argv[i], "--max-a") == 0) && i + 1 < argc) {
            char *end;
            long *dst = argv[i][5] ? &max_a : &max;
            *dst = strtol(argv[++i], &end, 10);
            if (*end || *dst < 2) {
                fprintf(stderr, "hatebm: error: %s %s: expected a number of images >= 2\n", argv[i - 1], argv[i]);
                return 2;
            }
        } else if (argv[i][0] != '-' && nsets < 2) sets[nsets++] = argv[i];
        else return usage();
    }
    if (nsets != 2) return usage();
    char err[1024];
    hb_ctx_opts o = {.device = device, .validate = -1, .quiet = 1}; /* errors stay one line */
    hb_ctx *ctx = hb_ctx_create(&o);
    hb_classifier *c = hb_classifier_load(ctx, classifier, 250, err, sizeof err);
    if (!c) {
        fprintf(stderr, "hatebm: error: %s; train it with 'hatebm train "
                        "configs/fashion_mnist_classifier.ini' or pass --classifier PATH\n", err);
        hb_ctx_destroy(ctx);
        return 2;
    }
    hb_fid_stats st[2] = {{0}, {0}};
    int n[2] = {0, 0}, rc = set_stats(c, sets[0], (int)(max_a ? max_a : max), &st[0], &n[0]);
    if (!rc) rc = set_stats(c, sets[1], (int)max, &st[1], &n[1]);
    if (!rc) {
        fprintf(stderr, "hatebm: features computed on %s\n", hb_ctx_device_name(ctx));
        double fid = hb_fid_distance(&st[0], &st[1]);
        if (fid != fid) {
            fprintf(stderr, "hatebm: error: the matrix square root failed (LAPACK dsyevd)\n");
            rc = 2;
        } else {
            if (fid < 0) fid = 0; /* a distance; below zero only by rounding */
            printf("FID, FMNIST-classifier features: %.4f  (%s: %d images; %s: %d images)\n", fid,
                   sets[0], n[0], sets[1], n[1]);
        }
    }
    hb_fid_stats_free(&st[0]), hb_fid_stats_free(&st[1]);
    hb_classifier_free(c);
    hb_ctx_destroy(ctx);
    return rc;
}
