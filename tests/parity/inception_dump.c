/* The hatebm half of the Inception parity test (tests/parity/inception_check.py):
 *   inception_dump features WEIGHTS IMAGES.npy OUT.npz
 *       features [n][2048] of the images (any size, 1 or 3 channels) into OUT.npz "features"
 *   inception_dump fid A.npz B.npz STATS_A.npz
 *       the FID of two feature sets ("features" arrays) printed with 17 digits, and A's
 *       statistics written as FID statistics (mu, sigma) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/dataset.h"
#include "eval/fid.h"
#include "eval/inception.h"
#include "io/npz.h"

static int fail(const char *msg) {
    fprintf(stderr, "inception_dump: %s\n", msg);
    return 2;
}

static int features(const char *weights, const char *images, const char *out) {
    char err[1024], spec[4200];
    hb_dataset d;
    snprintf(spec, sizeof spec, "npy:%s", images);
    if (hb_dataset_load(spec, 0, 0, &d, err, sizeof err)) return fail(err);
    hb_ctx_opts o = {.validate = -1, .quiet = 1};
    hb_ctx *ctx = hb_ctx_create(&o);
    if (!ctx) return 2;
    hb_inception *net = hb_inception_load(ctx, weights, 4, err, sizeof err);
    if (!net) return fail(err);
    hb_npz_array f = {2, {d.n, HB_INCEPTION_FEATURES}, (size_t)d.n * HB_INCEPTION_FEATURES, NULL};
    float *ff = malloc(f.n * sizeof *ff);
    f.data = malloc(f.n * sizeof *f.data);
    hb_inception_features(net, d.pixels, d.n, d.c, d.h, d.w, ff, NULL, NULL);
    for (size_t i = 0; i < f.n; i++) f.data[i] = ff[i];
    const char *name = "features";
    int rc = hb_npz_write(out, 1, &name, &f, err, sizeof err) ? fail(err) : 0;
    uint32_t messages = hb_validation_messages(ctx);
    hb_inception_free(net);
    hb_ctx_destroy(ctx);
    free(ff), free(f.data);
    hb_dataset_free(&d);
    return rc ? rc : messages ? fail("validation messages") : 0;
}

static int fid(const char *a, const char *b, const char *stats_a) {
    char err[1024];
    hb_npz_array f[2];
    hb_fid_stats st[2];
    const char *paths[2] = {a, b};
    for (int i = 0; i < 2; i++) {
        if (hb_npz_read(paths[i], "features", &f[i], err, sizeof err)) return fail(err);
        if (f[i].ndim != 2) return fail("features must be [n][dim]");
        float *x = malloc(f[i].n * sizeof *x);
        for (size_t j = 0; j < f[i].n; j++) x[j] = (float)f[i].data[j];
        if (hb_fid_stats_compute(x, (long)f[i].shape[0], (int)f[i].shape[1], &st[i]))
            return fail("statistics failed");
        free(x);
        hb_npz_array_free(&f[i]);
    }
    printf("%.17g\n", hb_fid_distance(&st[0], &st[1]));
    int rc = hb_fid_stats_save_npz(stats_a, &st[0], err, sizeof err) ? fail(err) : 0;
    hb_fid_stats_free(&st[0]), hb_fid_stats_free(&st[1]);
    return rc;
}

int main(int argc, char **argv) {
    if (argc == 5 && strcmp(argv[1], "features") == 0) return features(argv[2], argv[3], argv[4]);
    if (argc == 5 && strcmp(argv[1], "fid") == 0) return fid(argv[2], argv[3], argv[4]);
    return fail(
        "usage: inception_dump features WEIGHTS IMAGES.npy OUT.npz | fid A.npz B.npz STATS_A.npz");
}
