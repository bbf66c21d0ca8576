/* Shared by the data set harnesses: the first input byte picks the model's image size and
 * channel count, the rest is the file. A data set that loads must hold n >= 1 images of
 * exactly that shape with every pixel in [-1, 1]; a refusal must be one line and leave the
 * output empty. */
#ifndef HB_FUZZ_DATASET_H
#define HB_FUZZ_DATASET_H

#include "fuzz_common.h"

#include <math.h>

#include "data/dataset.h"

static inline void fz_options(uint8_t b, int *size, int *channels) {
    static const int sizes[4] = {32, 64, 128, 28};
    *size = sizes[b & 3];
    *channels = b & 4 ? 3 : 1;
}

static inline void fz_load(const char *spec, int size, int channels) {
    hb_dataset d;
    char err[2048];
    memset(&d, 0x5a, sizeof d);
    if (hb_dataset_load(spec, size, channels, &d, err, sizeof err) != 0) {
        fz_one_line(err);
        if (d.n || d.pixels || d.labels) abort();
        return;
    }
    if (d.n < 1 || d.c != channels || d.h != size || d.w != size || !d.pixels) abort();
    size_t total = (size_t)d.n * d.c * d.h * d.w;
    for (size_t i = 0; i < total; i++)
        if (!(d.pixels[i] >= -1.0f && d.pixels[i] <= 1.0f)) abort();
    if (d.labels)
        for (int i = 0; i < d.n; i++)
            if (d.labels[i] < 0 || d.labels[i] > 255) abort();
    hb_dataset_free(&d);
}

/* A harness for a format of one file: options byte, then the file, written as `file` and
 * loaded as "kind:path". */
static inline int fz_one_file(const uint8_t *data, size_t size, const char *kind,
                              const char *file) {
    if (size < 1) return 0;
    int s, c;
    fz_options(data[0], &s, &c);
    char spec[600];
    snprintf(spec, sizeof spec, "%s:%s", kind, fz_put(file, data + 1, size - 1));
    fz_load(spec, s, c);
    return 0;
}

#endif
