/* .npy writer. */
#include "io/npy.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/files.h"

typedef struct {
    const char *descr;
    int ndim;
    const int64_t *shape;
    const void *data;
    size_t bytes;
} npy_body;

/* Magic, version 1.0, header length, then the dict padded with spaces to a multiple of 64. */
static int write_npy(FILE *fp, void *user) {
    const npy_body *b = user;
    char dict[512], shape[256] = "";
    size_t at = 0;
    for (int i = 0; i < b->ndim; i++)
        at += (size_t)snprintf(shape + at, sizeof shape - at, "%lld%s", (long long)b->shape[i],
                               b->ndim == 1 || i < b->ndim - 1 ? ", " : "");
    int len = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }",
                       b->descr, shape);
    int total = 10 + len + 1, pad = (64 - total % 64) % 64;
    unsigned hlen = (unsigned)(len + pad + 1);
    unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(hlen & 255),
                             (unsigned char)(hlen >> 8)};
    if (fwrite(pre, 1, 10, fp) != 10 || fwrite(dict, 1, (size_t)len, fp) != (size_t)len) return -1;
    for (int i = 0; i < pad; i++)
        if (fputc(' ', fp) == EOF) return -1;
    if (fputc('\n', fp) == EOF) return -1;
    return fwrite(b->data, 1, b->bytes, fp) == b->bytes ? 0 : -1;
}

int hb_npy_write_images(const char *path, const float *x, int n, int c, int h, int w, char *err,
                        size_t errlen) {
    size_t count = (size_t)n * c * h * w;
    unsigned char *u = malloc(count ? count : 1);
    if (!u) return hb_errorf(err, errlen, "%s: out of memory for %zu bytes", path, count);
    for (int i = 0; i < n; i++)
        for (int ch = 0; ch < c; ch++)
            for (int p = 0; p < h * w; p++) {
                float v = x[((size_t)i * c + ch) * h * w + p];
                float s = (v + 1.0f) * 127.5f;
                s = isnan(s) ? 0 : s < 0 ? 0 : s > 255 ? 255 : s;
                u[((size_t)i * h * w + p) * c + ch] = (unsigned char)lrintf(s);
            }
    int64_t shape[4] = {n, h, w, c};
    npy_body b = {"|u1", 4, shape, u, count};
    int rc = hb_atomic_write(path, write_npy, &b, err, errlen);
    free(u);
    return rc;
}

int hb_npy_write_f32(const char *path, const float *x, int ndim, const int64_t *shape, char *err,
                     size_t errlen) {
    if (ndim < 1 || ndim > 8) return hb_errorf(err, errlen, "%s: %d dimensions (1..8)", path, ndim);
    size_t count = 1;
    for (int i = 0; i < ndim; i++) count *= (size_t)shape[i];
    npy_body b = {"<f4", ndim, shape, x, count * sizeof *x};
    return hb_atomic_write(path, write_npy, &b, err, errlen);
}
