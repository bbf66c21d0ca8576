/* .npy writer and header parser. */
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

/* ---- reading ---- */

/* Finds the value after key 'name' (or "name") in the header dict; NULL when absent. */
static const char *npy_key(const char *h, const char *name) {
    char k1[32], k2[32];
    snprintf(k1, sizeof k1, "'%s'", name);
    snprintf(k2, sizeof k2, "\"%s\"", name);
    const char *p = strstr(h, k1);
    if (!p) p = strstr(h, k2);
    if (!p) return NULL;
    p += strlen(k1);
    while (*p == ' ') p++;
    if (*p != ':') return NULL;
    p++;
    while (*p == ' ') p++;
    return p;
}

int hb_npy_parse(const char *path, const unsigned char *b, size_t n, hb_npy *out, char *err,
                 size_t errlen) {
    int rc = -1;
    char *hdr = NULL;
    if (n < 10 || memcmp(b, "\x93NUMPY", 6) != 0) {
        hb_errorf(err, errlen, "%s: %s", path,
             n < 10 && (n < 6 || memcmp(b, "\x93NUMPY", 6) == 0)
                 ? "truncated: shorter than a .npy header"
                 : "wrong magic: not a .npy file (expected \\x93NUMPY; save with numpy.save)");
        goto done;
    }
    int major = b[6];
    size_t hlen, hoff;
    if (major == 1) {
        hlen = (size_t)b[8] | (size_t)b[9] << 8;
        hoff = 10;
    } else if (major == 2 || major == 3) {
        if (n < 12) {
            hb_errorf(err, errlen, "%s: truncated: shorter than a .npy header", path);
            goto done;
        }
        hlen = (size_t)b[8] | (size_t)b[9] << 8 | (size_t)b[10] << 16 | (size_t)b[11] << 24;
        hoff = 12;
    } else {
        hb_errorf(err, errlen, "%s: .npy format version %d.%d is not supported (1.0, 2.0, 3.0 are)",
             path, major, b[7]);
        goto done;
    }
    if (hlen > n - hoff || hlen > (1u << 20)) {
        hb_errorf(err, errlen, "%s: truncated: the .npy header claims %zu bytes, the file has %zu",
             path, hlen, n - hoff);
        goto done;
    }
    if (!(hdr = malloc(hlen + 1))) goto done;
    memcpy(hdr, b + hoff, hlen);
    hdr[hlen] = 0;
    if (strlen(hdr) != hlen) {
        hb_errorf(err, errlen, "%s: the .npy header contains a NUL byte: corrupt", path);
        goto done;
    }
    const char *descr = npy_key(hdr, "descr"), *fo = npy_key(hdr, "fortran_order"),
               *shp = npy_key(hdr, "shape");
    if (!descr || !fo || !shp || (*descr != '\'' && *descr != '"') || *shp != '(') {
        hb_errorf(err, errlen, "%s: the .npy header lacks 'descr', 'fortran_order' or 'shape': %.80s",
             path, hdr);
        goto done;
    }
    char dt[16] = "";
    {
        const char *q = strchr(descr + 1, *descr);
        size_t l = q ? (size_t)(q - descr - 1) : 0;
        if (!q || l >= sizeof dt) {
            hb_errorf(err, errlen, "%s: cannot read 'descr' in the .npy header: %.40s", path, descr);
            goto done;
        }
        memcpy(dt, descr + 1, l);
        dt[l] = 0;
    }
    if (!strcmp(dt, "|u1") || !strcmp(dt, "<u1") || !strcmp(dt, "u1") || !strcmp(dt, ">u1"))
        out->f32 = 0;
    else if (!strcmp(dt, "<f4"))
        out->f32 = 1;
    else {
        hb_errorf(err, errlen,
             "%s: unsupported dtype '%s'; save uint8 (0..255) or float32 already in [-1, 1], "
             "e.g. numpy.save(path, x.astype(numpy.uint8))",
             path, dt);
        goto done;
    }
    if (!strncmp(fo, "True", 4)) {
        hb_errorf(err, errlen,
             "%s: fortran_order is True; save a C-order array: numpy.save(path, "
             "numpy.ascontiguousarray(x))",
             path);
        goto done;
    }
    if (strncmp(fo, "False", 5)) {
        hb_errorf(err, errlen, "%s: cannot read 'fortran_order' in the .npy header", path);
        goto done;
    }
    out->ndim = 0;
    const char *p = shp + 1;
    for (;;) {
        while (*p == ' ' || *p == ',') p++;
        if (*p == ')') break;
        if (*p < '0' || *p > '9' || out->ndim == 8) {
            hb_errorf(err, errlen, "%s: cannot read 'shape' in the .npy header: %.40s", path, shp);
            goto done;
        }
        uint64_t v = 0;
        while (*p >= '0' && *p <= '9') {
            v = v * 10 + (uint64_t)(*p++ - '0');
            if (v > ((uint64_t)1 << 40)) {
                hb_errorf(err, errlen, "%s: shape dimension too large: %.40s", path, shp);
                goto done;
            }
        }
        out->shape[out->ndim++] = v;
    }
    out->data = b + hoff + hlen;
    out->data_bytes = n - hoff - hlen;
    rc = 0;
done:
    free(hdr);
    return rc;
}
