/* safetensors I/O (host only, no Vulkan): round trips, a file laid out by hand exactly as the
 * reference library writes it, malformed input, shape checks and atomic writing. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/safetensors.h"
#include "testutil.h"

#define CHECK tu_check /* host-only test: tu_summary() closes it */

static void put(const char *path, const void *bytes, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(bytes, 1, n, f) != n || fclose(f)) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(1);
    }
}

static unsigned char *slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    *n = 0;
    if (!f) return NULL;
    unsigned char *b = NULL;
    size_t cap = 0;
    for (;;) {
        if (*n == cap && !(b = realloc(b, cap = cap ? 2 * cap : 4096))) exit(1);
        size_t r = fread(b + *n, 1, cap - *n, f);
        if (!r) break;
        *n += r;
    }
    fclose(f);
    return b;
}

static int same_file(const char *a, const char *b) {
    size_t na, nb;
    unsigned char *x = slurp(a, &na), *y = slurp(b, &nb);
    int same = x && y && na == nb && memcmp(x, y, na) == 0;
    free(x);
    free(y);
    return same;
}

/* header length + header + data, as given (no padding added) */
static const char *make(const char *name, const char *header, const void *data, size_t ndata) {
    size_t h = strlen(header);
    unsigned char *b = malloc(8 + h + ndata + 1);
    for (int i = 0; i < 8; i++) b[i] = (unsigned char)((uint64_t)h >> (8 * i));
    memcpy(b + 8, header, h);
    if (ndata) memcpy(b + 8 + h, data, ndata);
    const char *p = tu_tmp_path(name);
    put(p, b, 8 + h + ndata);
    free(b);
    return p;
}

/* load must fail with one line containing every non-NULL word */
static void refuse(const char *what, const char *path, const char *w1, const char *w2,
                   const char *w3) {
    hb_st_file f;
    char err[512] = "";
    memset(&f, 0x5a, sizeof f);
    int rc = hb_st_load(path, &f, err, sizeof err);
    int ok = rc == -1 && err[0] && !strchr(err, '\n') && strstr(err, path) && f.count == 0 &&
             f.t == NULL && f.nmeta == 0;
    const char *w[3] = {w1, w2, w3};
    for (int i = 0; i < 3; i++)
        if (w[i] && !strstr(err, w[i])) ok = 0;
    CHECK(ok, "refuses %s: rc %d: %s", what, rc, err);
    hb_st_free(&f);
}

static int tensor_is(const hb_st_file *f, const char *name, int ndim, const int64_t *shape,
                     const float *data, size_t n) {
    const hb_st_tensor *t = hb_st_find(f, name);
    if (!t || t->ndim != ndim || t->n != n || !t->data) return 0;
    for (int i = 0; i < ndim; i++)
        if (t->shape[i] != shape[i]) return 0;
    return n == 0 || memcmp(t->data, data, n * 4) == 0;
}

static void round_trip(void) {
    uint64_t rng = 7;
    float scalar = 3.5f, vec[5] = {1, -2, 3.25f, 1e-30f, -0.0f}, w4[120];
    tu_rand(&rng, w4, 120, -1, 1);
    int64_t s_vec[1] = {5}, s_w4[4] = {2, 3, 4, 5}, s_e1[1] = {0}, s_e3[3] = {3, 0, 2};
    char err[512] = "";

    /* added out of order; a second writer adds them in another order */
    for (int pass = 0; pass < 2; pass++) {
        hb_st_writer *w = hb_st_writer_new();
        if (pass == 0) {
            hb_st_add(w, "vec", 1, s_vec, vec);
            hb_st_add(w, "conv.w", 4, s_w4, w4);
            hb_st_add(w, "scalar", 0, NULL, &scalar);
            hb_st_add(w, "empty", 1, s_e1, NULL);
            hb_st_add(w, "empty3", 3, s_e3, NULL);
            hb_st_meta(w, "step", "0");
            hb_st_meta(w, "format", "pt");
            hb_st_meta(w, "step", "1200"); /* replaces */
            hb_st_meta(w, "note", "héllo \"quoted\"\n");
        } else {
            hb_st_meta(w, "note", "héllo \"quoted\"\n");
            hb_st_meta(w, "format", "pt");
            hb_st_meta(w, "step", "1200");
            hb_st_add(w, "empty3", 3, s_e3, NULL);
            hb_st_add(w, "scalar", 0, NULL, &scalar);
            hb_st_add(w, "empty", 1, s_e1, NULL);
            hb_st_add(w, "conv.w", 4, s_w4, w4);
            hb_st_add(w, "vec", 1, s_vec, vec);
        }
        int rc = hb_st_write(w, tu_tmp_path(pass ? "b.safetensors" : "a.safetensors"), err, sizeof err);
        CHECK(rc == 0, "write pass %d: %s", pass, rc ? err : "ok");
        hb_st_writer_free(w);
    }
    CHECK(same_file(tu_tmp_path("a.safetensors"), tu_tmp_path("b.safetensors")),
          "writing the same tensors twice gives identical bytes");

    size_t n;
    unsigned char *b = slurp(tu_tmp_path("a.safetensors"), &n);
    uint64_t h = 0;
    for (int i = 7; i >= 0; i--) h = h << 8 | b[i];
    CHECK(n >= 8 && h % 8 == 0 && b[8] == '{' &&
              (b[8 + h - 1] == ' ' || b[8 + h - 1] == '}'),
          "header length %llu is a multiple of 8, padded with spaces", (unsigned long long)h);
    /* tensors in name order: conv.w, empty, empty3, scalar, vec */
    const char *hs = (const char *)b + 8;
    const char *p1 = strstr(hs, "\"conv.w\""), *p2 = strstr(hs, "\"scalar\""),
               *p3 = strstr(hs, "\"vec\""), *pm = strstr(hs, "\"__metadata__\"");
    CHECK(pm && p1 && p2 && p3 && pm < p1 && p1 < p2 && p2 < p3 &&
              strstr(hs, "\"data_offsets\":[0,480]") && strstr(hs, "\"shape\":[]"),
          "header: metadata first, then tensors in name order with data in that order");
    free(b);

    hb_st_file f;
    int rc = hb_st_load(tu_tmp_path("a.safetensors"), &f, err, sizeof err);
    CHECK(rc == 0 && f.count == 5, "load round trip: %d tensors: %s", f.count, rc ? err : "ok");
    CHECK(tensor_is(&f, "scalar", 0, NULL, &scalar, 1), "scalar: shape [], value");
    CHECK(tensor_is(&f, "vec", 1, s_vec, vec, 5), "vec: 1-D, exact bits (incl. -0, denormal)");
    CHECK(tensor_is(&f, "conv.w", 4, s_w4, w4, 120), "conv.w: 4-D");
    CHECK(tensor_is(&f, "empty", 1, s_e1, NULL, 0) && tensor_is(&f, "empty3", 3, s_e3, NULL, 0),
          "empty tensors [0] and [3, 0, 2]");
    CHECK(hb_st_find(&f, "nope") == NULL && hb_st_find(&f, "") == NULL, "find: absent names");
    const char *note = hb_st_meta_get(&f, "note");
    CHECK(f.nmeta == 3 && hb_st_meta_get(&f, "format") &&
              !strcmp(hb_st_meta_get(&f, "format"), "pt") &&
              !strcmp(hb_st_meta_get(&f, "step"), "1200") && note &&
              !strcmp(note, "héllo \"quoted\"\n") && !hb_st_meta_get(&f, "other"),
          "metadata round trip (repeated key replaced, UTF-8 and escapes kept)");
    int64_t want[4] = {2, 3, 4, 5};
    CHECK(hb_st_expect(&f, "conv.w", 4, want, err, sizeof err) == 0 &&
              hb_st_expect(&f, "scalar", 0, NULL, err, sizeof err) == 0,
          "expect: matching shapes accepted");
    hb_st_free(&f);
    hb_st_free(&f); /* freeing twice is harmless */

    /* a file with nothing in it: "{}" and six spaces */
    hb_st_writer *w = hb_st_writer_new();
    rc = hb_st_write(w, tu_tmp_path("empty.safetensors"), err, sizeof err);
    hb_st_writer_free(w);
    b = slurp(tu_tmp_path("empty.safetensors"), &n);
    CHECK(rc == 0 && n == 16 && !memcmp(b, "\x08\0\0\0\0\0\0\0{}      ", 16),
          "no tensors, no metadata: 16 bytes");
    free(b);
    rc = hb_st_load(tu_tmp_path("empty.safetensors"), &f, err, sizeof err);
    CHECK(rc == 0 && f.count == 0 && f.nmeta == 0, "load empty file: %s", rc ? err : "ok");
    hb_st_free(&f);

    /* metadata only */
    w = hb_st_writer_new();
    hb_st_meta(w, "k", "v");
    rc = hb_st_write(w, tu_tmp_path("meta.safetensors"), err, sizeof err);
    hb_st_writer_free(w);
    rc |= hb_st_load(tu_tmp_path("meta.safetensors"), &f, err, sizeof err);
    CHECK(rc == 0 && f.count == 0 && f.nmeta == 1 && !strcmp(hb_st_meta_get(&f, "k"), "v"),
          "metadata only: %s", rc ? err : "ok");
    hb_st_free(&f);
}

/* What safetensors.torch.save_file({"weight": torch.arange(6.).reshape(2, 3),
 * "bias": torch.tensor([0.5, -1.])}, path, metadata={"format": "pt"}) writes, laid out by hand
 * from the spec: compact JSON, __metadata__ first, tensors sorted by name, padded to 8 bytes. */
static const char REF[] =
    "\x98\0\0\0\0\0\0\0" /* 152 */
    "{\"__metadata__\":{\"format\":\"pt\"},"
    "\"bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
    "\"weight\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[8,32]}}   "
    "\x00\x00\x00\x3f" "\x00\x00\x80\xbf"                     /* 0.5, -1 */
    "\x00\x00\x00\x00" "\x00\x00\x80\x3f" "\x00\x00\x00\x40"  /* 0, 1, 2 */
    "\x00\x00\x40\x40" "\x00\x00\x80\x40" "\x00\x00\xa0\x40"; /* 3, 4, 5 */

static void reference_file(void) {
    char err[512] = "";
    put(tu_tmp_path("ref.safetensors"), REF, sizeof REF - 1);
    hb_st_file f;
    int rc = hb_st_load(tu_tmp_path("ref.safetensors"), &f, err, sizeof err);
    float bias[2] = {0.5f, -1}, weight[6] = {0, 1, 2, 3, 4, 5};
    int64_t sb[1] = {2}, sw[2] = {2, 3};
    CHECK(rc == 0 && f.count == 2 && tensor_is(&f, "bias", 1, sb, bias, 2) &&
              tensor_is(&f, "weight", 2, sw, weight, 6) && f.nmeta == 1 &&
              !strcmp(hb_st_meta_get(&f, "format"), "pt"),
          "loads a reference-library file: %s", rc ? err : "ok");
    hb_st_free(&f);

    hb_st_writer *w = hb_st_writer_new();
    hb_st_add(w, "weight", 2, sw, weight);
    hb_st_add(w, "bias", 1, sb, bias);
    hb_st_meta(w, "format", "pt");
    rc = hb_st_write(w, tu_tmp_path("ref2.safetensors"), err, sizeof err);
    hb_st_writer_free(w);
    CHECK(rc == 0 && same_file(tu_tmp_path("ref.safetensors"), tu_tmp_path("ref2.safetensors")),
          "our writer produces the reference library's bytes");

    /* every truncation of a good file is refused; no crash, one line each */
    size_t n = sizeof REF - 1;
    int all = 1;
    for (size_t len = 0; len < n; len++) {
        put(tu_tmp_path("cut.safetensors"), REF, len);
        memset(&f, 0, sizeof f);
        rc = hb_st_load(tu_tmp_path("cut.safetensors"), &f, err, sizeof err);
        if (rc != -1 || !err[0] || strchr(err, '\n')) all = 0;
        hb_st_free(&f);
    }
    CHECK(all, "all %zu truncations of the reference file refused", n);

    /* every single-byte corruption of the header: success or a one-line refusal */
    unsigned char *b = malloc(n);
    int bad = 0, refused = 0;
    for (size_t i = 0; i < 160; i++)
        for (int v = 0; v < 256; v += 17) {
            memcpy(b, REF, n);
            b[i] = (unsigned char)(b[i] ^ (v | 1));
            put(tu_tmp_path("flip.safetensors"), b, n);
            err[0] = 0;
            rc = hb_st_load(tu_tmp_path("flip.safetensors"), &f, err, sizeof err);
            if (rc == -1) refused++;
            if (rc == -1 && (!err[0] || strchr(err, '\n'))) bad++;
            if (rc == 0 && f.count > 2) bad++;
            hb_st_free(&f);
        }
    free(b);
    CHECK(bad == 0, "byte flips in the first 160 bytes: %d refused cleanly, %d bad", refused, bad);
}

static void malformed(void) {
    float d[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    const char *p;

    put(tu_tmp_path("short"), "\x04\0\0\0\0", 5);
    refuse("a 5-byte file", tu_tmp_path("short"), "8 bytes", "5", NULL);
    put(tu_tmp_path("zero"), "", 0);
    refuse("an empty file", tu_tmp_path("zero"), "8 bytes", NULL, NULL);
    refuse("a missing file", tu_tmp_path("does-not-exist"), "cannot open", NULL, NULL);
    refuse("a directory", tu_tmpdir(), "regular file", NULL, NULL);

    put(tu_tmp_path("hlen"), "\xe8\x03\0\0\0\0\0\0{}      ", 16);
    refuse("header length larger than the file", tu_tmp_path("hlen"), "1000", "8", NULL);
    put(tu_tmp_path("huge"), "\0\0\0\x10\0\0\0\0{}      ", 16);
    refuse("header length over 100 MB", tu_tmp_path("huge"), "at most", NULL, NULL);
    put(tu_tmp_path("huge2"), "\xff\xff\xff\xff\xff\xff\xff\xff{}      ", 16);
    refuse("header length 2^64-1", tu_tmp_path("huge2"), "at most", NULL, NULL);

    refuse("header not JSON", make("nojson", "{not json", NULL, 0), "JSON", NULL, NULL);
    refuse("empty header", make("nohdr", "", NULL, 0), "JSON", NULL, NULL);
    refuse("JSON array", make("arr", "[1,2]", NULL, 0), "object", "array", NULL);
    refuse("JSON string", make("str", "\"x\"", NULL, 0), "object", "string", NULL);
    refuse("trailing garbage", make("trail", "{} x", NULL, 0), "JSON", NULL, NULL);
    refuse("invalid UTF-8", make("utf8", "{\"\xff\":{}}", NULL, 0), "JSON", NULL, NULL);
    {
        /* {"a<NUL>":1} padded to 16 bytes */
        unsigned char h[24] = {16, 0, 0, 0, 0, 0, 0, 0, '{', '"', 'a', 0, '"', ':', '1', '}'};
        memset(h + 16, ' ', 8);
        put(tu_tmp_path("nul"), h, sizeof h);
        refuse("NUL byte in the header", tu_tmp_path("nul"), "JSON", NULL, NULL);
    }
    refuse("entry not an object", make("notobj", "{\"w\":3}", NULL, 0), "'w'", "object", NULL);

    refuse("missing dtype",
           make("nodt", "{\"w\":{\"shape\":[2],\"data_offsets\":[0,8]}}", d, 8), "'w'", "dtype",
           NULL);
    refuse("missing shape",
           make("nosh", "{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", d, 8), "'w'",
           "shape", NULL);
    refuse("missing data_offsets", make("nooff", "{\"w\":{\"dtype\":\"F32\",\"shape\":[2]}}", d, 8),
           "'w'", "data_offsets", NULL);
    refuse("dtype not a string",
           make("dtnum", "{\"w\":{\"dtype\":3,\"shape\":[2],\"data_offsets\":[0,8]}}", d, 8),
           "'w'", "dtype", NULL);

    refuse("negative shape",
           make("neg", "{\"w\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", d, 8),
           "'w'", "shape[0]", "negative");
    refuse("non-integer shape",
           make("real", "{\"w\":{\"dtype\":\"F32\",\"shape\":[2.0],\"data_offsets\":[0,8]}}", d, 8),
           "'w'", "shape[0]", "non-integer");
    refuse("shape not an array",
           make("shstr", "{\"w\":{\"dtype\":\"F32\",\"shape\":\"2\",\"data_offsets\":[0,8]}}", d,
                8),
           "'w'", "shape", NULL);
    refuse("nine dimensions",
           make("dims9",
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1],"
                "\"data_offsets\":[0,4]}}",
                d, 4),
           "'w'", "9", NULL);
    refuse("element count overflow",
           make("ovf",
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],"
                "\"data_offsets\":[0,8]}}",
                d, 8),
           "'w'", "too many", NULL);

    refuse("data_offsets past the data",
           make("oor", "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", d, 8),
           "'w'", "truncated", NULL);
    refuse("data_offsets reversed",
           make("rev", "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", d, 8),
           "'w'", "[8, 0]", NULL);
    refuse("data_offsets negative",
           make("negoff", "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[-8,0]}}", d,
                8),
           "'w'", "data_offsets", NULL);
    refuse("data_offsets of length 3",
           make("off3", "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4,8]}}", d,
                8),
           "'w'", "data_offsets", NULL);
    refuse("data_offsets not integers",
           make("offr", "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8.0]}}", d,
                8),
           "'w'", "data_offsets", NULL);
    refuse("data_offsets not matching shape",
           make("size", "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", d, 8),
           "'w'", "12 bytes", "found 8");
    refuse("overlapping tensors",
           make("overlap",
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
                d, 12),
           "'b'", "overlap", "'a'");
    refuse("same offsets twice",
           make("overlap2",
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}",
                d, 8),
           "overlap", NULL, NULL);
    refuse("gap between tensors",
           make("gap",
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[12,20]}}",
                d, 20),
           "'b'", "gap", NULL);
    refuse("gap at the start",
           make("gap0", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", d,
                12),
           "'a'", "gap", NULL);
    refuse("bytes after the last tensor",
           make("tail", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", d, 12),
           "trailing", NULL, NULL);
    refuse("data but no tensors", make("tail0", "{}", d, 4), "trailing", NULL, NULL);

    const char *dtypes[] = {"F16", "BF16", "F64", "I64", "U8", "BOOL"};
    for (int i = 0; i < 6; i++) {
        char h[200], name[32];
        snprintf(h, sizeof h,
                 "{\"ok\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                 "\"t%d\":{\"dtype\":\"%s\",\"shape\":[2],\"data_offsets\":[4,12]}}",
                 i, dtypes[i]);
        snprintf(name, sizeof name, "'t%d'", i);
        p = make("dtype", h, d, 12);
        char what[64];
        snprintf(what, sizeof what, "dtype %s", dtypes[i]);
        refuse(what, p, name, dtypes[i], "F32");
    }

    refuse("truncated data",
           make("trunc",
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                "\"b\":{\"dtype\":\"F32\",\"shape\":[6],\"data_offsets\":[8,32]}}",
                d, 16),
           "'b'", "32", "16");
    refuse("duplicate tensor names",
           make("dup",
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
                d, 8),
           "duplicate", NULL, NULL);
    refuse("metadata not an object",
           make("meta1", "{\"__metadata__\":[\"x\"]}", NULL, 0), "__metadata__", "array", NULL);
    refuse("metadata value not a string",
           make("meta2", "{\"__metadata__\":{\"step\":3}}", NULL, 0), "'step'", "integer", NULL);
    refuse("newline in a tensor name",
           make("nl", "{\"a\\nb\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}", d,
                4),
           "'a?b'", "F16", NULL);
}

static void expect(void) {
    char err[512] = "";
    hb_st_file f;
    put(tu_tmp_path("ref.safetensors"), REF, sizeof REF - 1);
    if (!CHECK(hb_st_load(tu_tmp_path("ref.safetensors"), &f, err, sizeof err) == 0, "load for expect"))
        return;
    int64_t s32[2] = {3, 2}, s23[2] = {2, 3}, s6[1] = {6}, s2[1] = {2};
    int rc = hb_st_expect(&f, "weight", 2, s32, err, sizeof err);
    CHECK(rc == -1 && strstr(err, "'weight'") && strstr(err, "expected shape [3, 2]") &&
              strstr(err, "found [2, 3]") && strstr(err, "ref.safetensors"),
          "expect: transposed shape: %s", err);
    rc = hb_st_expect(&f, "weight", 1, s6, err, sizeof err);
    CHECK(rc == -1 && strstr(err, "'weight'") && strstr(err, "[6]") && strstr(err, "[2, 3]"),
          "expect: same size, other rank: %s", err);
    rc = hb_st_expect(&f, "bias", 0, NULL, err, sizeof err);
    CHECK(rc == -1 && strstr(err, "'bias'") && strstr(err, "expected shape []") &&
              strstr(err, "found [2]"),
          "expect: scalar wanted: %s", err);
    rc = hb_st_expect(&f, "head.bias", 1, s2, err, sizeof err);
    CHECK(rc == -1 && strstr(err, "'head.bias'") && strstr(err, "[2]") && strstr(err, "no such"),
          "expect: missing tensor: %s", err);
    CHECK(hb_st_expect(&f, "weight", 2, s23, err, sizeof err) == 0 &&
              hb_st_expect(&f, "bias", 1, s2, err, sizeof err) == 0,
          "expect: right shapes pass");
    hb_st_free(&f);
}

static hb_st_writer *big_writer(float *data, size_t n) {
    hb_st_writer *w = hb_st_writer_new();
    int64_t s[1] = {(int64_t)n};
    hb_st_add(w, "big", 1, s, data);
    return w;
}

static void atomic(void) {
    char err[512] = "";
    size_t n = 1 << 16;
    float *data = calloc(n, 4);
    hb_st_writer *w;
    int rc;

    /* a directory that does not exist */
    w = big_writer(data, n);
    rc = hb_st_write(w, tu_tmp_path("nodir/x.safetensors"), err, sizeof err);
    hb_st_writer_free(w);
    struct stat st;
    CHECK(rc == -1 && strstr(err, "nodir/x.safetensors") && !strchr(err, '\n') &&
              stat(tu_tmp_path("nodir"), &st) != 0 && tu_temp_files(tu_tmpdir()) == 0,
          "non-existent directory refused, nothing left: %s", err);

    /* a "directory" that is a regular file */
    put(tu_tmp_path("afile"), "x", 1);
    w = big_writer(data, n);
    rc = hb_st_write(w, tu_tmp_path("afile/x.safetensors"), err, sizeof err);
    hb_st_writer_free(w);
    CHECK(rc == -1 && strstr(err, "afile/x.safetensors") && tu_temp_files(tu_tmpdir()) == 0,
          "directory that is a file refused: %s", err);

    /* a good file to be overwritten by failing writers */
    char good[256];
    snprintf(good, sizeof good, "%s", tu_tmp_path("good.safetensors"));
    put(good, REF, sizeof REF - 1);

    if (geteuid() != 0) {
        chmod(tu_tmpdir(), 0555);
        w = big_writer(data, n);
        rc = hb_st_write(w, good, err, sizeof err);
        hb_st_writer_free(w);
        chmod(tu_tmpdir(), 0700);
        CHECK(rc == -1 && strstr(err, "good.safetensors") &&
                  same_file(good, tu_tmp_path("ref.safetensors")) && tu_temp_files(tu_tmpdir()) == 0,
              "read-only directory: refused, old file intact: %s", err);
    } else {
        printf("running as root: read-only directory test replaced by the file-size limit\n");
    }

    /* disk full, simulated with a file-size limit (works as root too): the temp file is
     * created, the write fails part way, the temp file goes and the old file stays */
    struct rlimit old, lim;
    getrlimit(RLIMIT_FSIZE, &old);
    lim = old;
    lim.rlim_cur = 4096;
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    if (setrlimit(RLIMIT_FSIZE, &lim) == 0) {
        w = big_writer(data, n);
        rc = hb_st_write(w, good, err, sizeof err);
        hb_st_writer_free(w);
        setrlimit(RLIMIT_FSIZE, &old);
        CHECK(rc == -1 && strstr(err, "good.safetensors") && strstr(err, "untouched") &&
                  same_file(good, tu_tmp_path("ref.safetensors")) && tu_temp_files(tu_tmpdir()) == 0,
              "write failing part way (file too large): refused, old file intact: %s", err);
    } else {
        CHECK(0, "setrlimit(RLIMIT_FSIZE): %s", strerror(errno));
    }
    signal(SIGXFSZ, prev);

    /* bad writer input fails before touching anything */
    int64_t neg[2] = {2, -1}, two[1] = {2};
    struct {
        const char *what, *word;
        int kind;
    } cases[] = {{"duplicate names", "twice", 0},
                 {"negative dimension", "negative", 1},
                 {"nine dimensions", "dimensions", 2},
                 {"reserved name", "reserved", 3},
                 {"NULL data", "NULL", 4},
                 {"invalid UTF-8 name", "UTF-8", 5}};
    for (int i = 0; i < 6; i++) {
        w = hb_st_writer_new();
        hb_st_add(w, "a", 1, two, data);
        switch (cases[i].kind) {
        case 0: hb_st_add(w, "a", 1, two, data); break;
        case 1: hb_st_add(w, "b", 2, neg, data); break;
        case 2: hb_st_add(w, "b", 9, neg, data); break;
        case 3: hb_st_add(w, "__metadata__", 1, two, data); break;
        case 4: hb_st_add(w, "b", 1, two, NULL); break;
        case 5: hb_st_add(w, "b\xff", 1, two, data); break;
        }
        rc = hb_st_write(w, good, err, sizeof err);
        hb_st_writer_free(w);
        CHECK(rc == -1 && strstr(err, cases[i].word) && same_file(good, tu_tmp_path("ref.safetensors")) &&
                  tu_temp_files(tu_tmpdir()) == 0,
              "writer refuses %s, old file intact: %s", cases[i].what, err);
    }

    /* and a successful overwrite replaces it */
    w = big_writer(data, n);
    rc = hb_st_write(w, good, err, sizeof err);
    hb_st_writer_free(w);
    hb_st_file f;
    rc |= hb_st_load(good, &f, err, sizeof err);
    mode_t um = umask(0);
    umask(um);
    int have = stat(good, &st) == 0;
    CHECK(rc == 0 && f.count == 1 && f.t[0].n == n && tu_temp_files(tu_tmpdir()) == 0 && have &&
              (st.st_mode & 0777) == (0666 & ~um),
          "overwrite succeeds, mode %o: %s", (unsigned)(st.st_mode & 0777), rc ? err : "ok");
    hb_st_free(&f);
    free(data);
}

int main(void) {
    round_trip();
    reference_file();
    malformed();
    expect();
    atomic();
    return tu_summary();
}
