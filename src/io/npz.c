/* .npz reading and writing (see npz.h). Zip records by the PKWARE APPNOTE: local file header
 * (0x04034b50), central directory entry (0x02014b50), end of central directory (0x06054b50)
 * and its ZIP64 form (0x06064b50, located by 0x07064b50). */
#include "io/npz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "io/files.h"

#define MAX_NPZ_BYTES                                                                              \
    ((size_t)1 << 31) /* sigma of 2048 features is 32 MiB; zlib counts in 32 bits */
#define NPY_MAGIC "\x93NUMPY"

static uint64_t le(const unsigned char *p, int bytes) {
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

/* ---- reading ---- */

typedef struct {
    const char *path, *entry;
    unsigned char *b;
    size_t n;
    char *err;
    size_t errlen;
} npz_src;

static int read_all(npz_src *s) {
    FILE *f = fopen(s->path, "rb");
    if (!f)
        return hb_errorf(s->err, s->errlen, "%s: cannot open: no such file or unreadable", s->path);
    size_t cap = 1 << 16, n = 0, got;
    unsigned char *b = malloc(cap);
    while (b && (got = fread(b + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap && cap < MAX_NPZ_BYTES) {
            unsigned char *nb = realloc(b, cap *= 2);
            if (!nb) free(b);
            b = nb;
        } else if (n == cap)
            break;
    }
    fclose(f);
    if (!b) return hb_errorf(s->err, s->errlen, "%s: out of memory reading it", s->path);
    s->b = b, s->n = n;
    return 0;
}

/* The central directory's offset and entry count, from the (ZIP64) end record. */
static int find_directory(npz_src *s, uint64_t *cd_off, uint64_t *entries) {
    size_t lowest = s->n > 22 + 65535 ? s->n - 22 - 65535 : 0;
    for (size_t at = s->n >= 22 ? s->n - 22 + 1 : 0; at-- > lowest;) {
        if (le(s->b + at, 4) != 0x06054b50) continue;
        *entries = le(s->b + at + 10, 2), *cd_off = le(s->b + at + 16, 4);
        if ((*cd_off == 0xffffffffu || *entries == 0xffffu) && at >= 20 &&
            le(s->b + at - 20, 4) == 0x07064b50) {
            uint64_t z = le(s->b + at - 20 + 8, 8);
            if (z > s->n || s->n - z < 56 || le(s->b + z, 4) != 0x06064b50) break;
            *entries = le(s->b + z + 32, 8), *cd_off = le(s->b + z + 48, 8);
        }
        return 0;
    }
    return hb_errorf(s->err, s->errlen,
                     "%s: not a zip archive (no end of central directory); an "
                     ".npz is what numpy.savez writes",
                     s->path);
}

/* Sizes and local header offset of a central directory entry, ZIP64 extra field applied */
static void zip64_sizes(const unsigned char *e, size_t extra_len, uint64_t *usize, uint64_t *csize,
                        uint64_t *off) {
    for (size_t i = 0; i + 4 <= extra_len;) {
        size_t id = le(e + i, 2), len = le(e + i + 2, 2), at = i + 4;
        if (i + 4 + len > extra_len) return;
        if (id == 1) {
            uint64_t *v[3] = {usize, csize, off};
            for (int k = 0; k < 3; k++)
                if (*v[k] == 0xffffffffu && at + 8 <= i + 4 + len) *v[k] = le(e + at, 8), at += 8;
        }
        i += 4 + len;
    }
}

/* The entry's data, inflated when deflated, CRC-checked: malloc'ed into *data, *len */
static int extract(npz_src *s, const unsigned char *ce, size_t extra_len,
                   const unsigned char *extra, unsigned char **data, size_t *len) {
    int method = (int)le(ce + 10, 2);
    uint32_t crc = (uint32_t)le(ce + 16, 4);
    uint64_t csize = le(ce + 20, 4), usize = le(ce + 24, 4), off = le(ce + 42, 4);
    zip64_sizes(extra, extra_len, &usize, &csize, &off);
    if (off > s->n || s->n - off < 30 || le(s->b + off, 4) != 0x04034b50)
        return hb_errorf(s->err, s->errlen, "%s: entry %s: bad local header offset: corrupt",
                         s->path, s->entry);
    uint64_t start = off + 30 + le(s->b + off + 26, 2) + le(s->b + off + 28, 2);
    if (start > s->n || csize > s->n - start || usize > MAX_NPZ_BYTES)
        return hb_errorf(s->err, s->errlen, "%s: entry %s: truncated or corrupt", s->path,
                         s->entry);
    if (method != 0 && method != 8)
        return hb_errorf(s->err, s->errlen,
                         "%s: entry %s: compression method %d (stored and "
                         "deflated are read)",
                         s->path, s->entry, method);
    /* Sizes the data cannot have are refused before allocating: stored data is its own size,
     * and deflate expands at most 1032:1 (258 bytes from each 2-bit code, RFC 1951). */
    if ((method == 0 && csize != usize) || (method == 8 && usize > csize * 1032 + 1032))
        return hb_errorf(s->err, s->errlen,
                         "%s: entry %s: sizes in the zip directory disagree: corrupt", s->path,
                         s->entry);
    unsigned char *out = malloc(usize ? usize : 1);
    if (!out) return hb_errorf(s->err, s->errlen, "%s: out of memory", s->path);
    int ok = 1;
    if (method == 0)
        memcpy(out, s->b + start, usize);
    else {
        z_stream z = {0};
        ok = inflateInit2(&z, -MAX_WBITS) == Z_OK;
        z.next_in = s->b + start, z.avail_in = (uInt)csize;
        z.next_out = out, z.avail_out = (uInt)usize;
        ok = ok && inflate(&z, Z_FINISH) == Z_STREAM_END && z.total_out == usize;
        inflateEnd(&z);
    }
    ok = ok && crc32(crc32(0, NULL, 0), out, (uInt)usize) == crc;
    if (!ok) {
        free(out);
        return hb_errorf(s->err, s->errlen, "%s: entry %s: data corrupt (%s)", s->path, s->entry,
                         method ? "inflate or CRC-32 failed" : "CRC-32 mismatch");
    }
    *data = out, *len = usize;
    return 0;
}

/* Finds `entry` in the central directory and extracts it */
static int find_entry(npz_src *s, unsigned char **data, size_t *len) {
    uint64_t cd = 0, entries = 0;
    if (find_directory(s, &cd, &entries)) return -1;
    size_t want = strlen(s->entry);
    for (uint64_t i = 0, at = cd; i < entries; i++) {
        if (at > s->n || s->n - at < 46 || le(s->b + at, 4) != 0x02014b50)
            return hb_errorf(s->err, s->errlen, "%s: central directory corrupt", s->path);
        size_t nl = le(s->b + at + 28, 2), xl = le(s->b + at + 30, 2), cl = le(s->b + at + 32, 2);
        if (s->n - at - 46 < nl + xl + cl)
            return hb_errorf(s->err, s->errlen, "%s: central directory truncated", s->path);
        if (nl == want && memcmp(s->b + at + 46, s->entry, nl) == 0)
            return extract(s, s->b + at, xl, s->b + at + 46 + nl, data, len);
        at += 46 + nl + xl + cl;
    }
    return hb_errorf(s->err, s->errlen, "%s: no entry %s (an array of that name)", s->path,
                     s->entry);
}

/* Value of key 'name' in a .npy header dict, or NULL */
static const char *npy_value(const char *h, const char *name) {
    char key[32];
    snprintf(key, sizeof key, "'%s':", name);
    const char *p = strstr(h, key);
    if (!p) return NULL;
    for (p += strlen(key); *p == ' ';) p++;
    return p;
}

static int parse_npy(npz_src *s, const unsigned char *b, size_t n, hb_npz_array *out) {
    if (n < 10 || memcmp(b, NPY_MAGIC, 6) != 0 || b[6] < 1 || b[6] > 3)
        return hb_errorf(s->err, s->errlen, "%s: entry %s is not a .npy array", s->path, s->entry);
    size_t hoff = b[6] == 1 ? 10 : 12,
           hlen = b[6] == 1 ? le(b + 8, 2) : (n >= 12 ? le(b + 8, 4) : n);
    if (hlen > n - hoff || hlen > 4096)
        return hb_errorf(s->err, s->errlen, "%s: entry %s: .npy header truncated", s->path,
                         s->entry);
    char h[4097];
    memcpy(h, b + hoff, hlen);
    h[hlen] = 0;
    const char *descr = npy_value(h, "descr"), *fo = npy_value(h, "fortran_order"),
               *shape = npy_value(h, "shape");
    int f8 = descr && strncmp(descr, "'<f8'", 5) == 0,
        f4 = descr && strncmp(descr, "'<f4'", 5) == 0;
    if (!(f8 || f4) || !fo || strncmp(fo, "False", 5) != 0 || !shape || *shape != '(')
        return hb_errorf(s->err, s->errlen,
                         "%s: entry %s: expected a C-order float64 or float32 "
                         "array, header %.80s",
                         s->path, s->entry, h);
    out->ndim = 0, out->n = 1;
    for (const char *p = shape + 1; *p != ')';) {
        char *end;
        long long d = strtoll(p, &end, 10);
        if (end == p || d < 0 || out->ndim == HB_NPZ_MAX_DIMS ||
            (d && out->n > MAX_NPZ_BYTES / (size_t)d))
            return hb_errorf(s->err, s->errlen, "%s: entry %s: cannot read shape %.40s", s->path,
                             s->entry, shape);
        out->shape[out->ndim++] = d, out->n *= (size_t)d;
        for (p = end; *p == ',' || *p == ' ';) p++;
    }
    size_t bytes = out->n * (f8 ? 8 : 4);
    if (n - hoff - hlen != bytes)
        return hb_errorf(s->err, s->errlen, "%s: entry %s: %zu bytes of data, the shape needs %zu",
                         s->path, s->entry, n - hoff - hlen, bytes);
    if (!(out->data = malloc((out->n ? out->n : 1) * sizeof *out->data)))
        return hb_errorf(s->err, s->errlen, "%s: out of memory", s->path);
    const unsigned char *d = b + hoff + hlen;
    for (size_t i = 0; i < out->n; i++) {
        if (f8)
            memcpy(&out->data[i], d + 8 * i, 8);
        else {
            float v;
            memcpy(&v, d + 4 * i, 4);
            out->data[i] = v;
        }
    }
    return 0;
}

int hb_npz_read(const char *path, const char *name, hb_npz_array *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    char entry[128];
    snprintf(entry, sizeof entry, "%s.npy", name);
    npz_src s = {path, entry, NULL, 0, err, errlen};
    unsigned char *data = NULL;
    size_t len = 0;
    int rc = read_all(&s) || find_entry(&s, &data, &len) || parse_npy(&s, data, len, out) ? -1 : 0;
    free(s.b);
    free(data);
    if (rc) hb_npz_array_free(out);
    return rc;
}

void hb_npz_array_free(hb_npz_array *a) {
    free(a->data);
    memset(a, 0, sizeof *a);
}

/* ---- writing ---- */

typedef struct {
    int count;
    const char *const *names;
    const hb_npz_array *arrays;
} npz_body;

static void put(unsigned char *p, uint64_t v, int bytes) {
    for (int i = 0; i < bytes; i++) p[i] = (unsigned char)(v >> (8 * i));
}

/* A .npy version 1.0 of a float64 array, in memory */
static unsigned char *npy_bytes(const hb_npz_array *a, size_t *len) {
    char shape[256] = "", dict[400];
    size_t at = 0;
    for (int i = 0; i < a->ndim; i++)
        at += (size_t)snprintf(shape + at, sizeof shape - at, "%lld%s", (long long)a->shape[i],
                               a->ndim == 1 || i < a->ndim - 1 ? ", " : "");
    int dl = snprintf(dict, sizeof dict,
                      "{'descr': '<f8', 'fortran_order': False, 'shape': (%s), }", shape);
    size_t hlen = (size_t)dl + 1 + (64 - (10 + (size_t)dl + 1) % 64) % 64;
    *len = 10 + hlen + a->n * 8;
    unsigned char *b = malloc(*len);
    if (!b) return NULL;
    memcpy(b, NPY_MAGIC "\x01\x00", 8);
    put(b + 8, hlen, 2);
    memset(b + 10, ' ', hlen);
    memcpy(b + 10, dict, (size_t)dl);
    b[10 + hlen - 1] = '\n';
    memcpy(b + 10 + hlen, a->data, a->n * 8); /* little-endian hosts (x86, ARM) */
    return b;
}

/* Stored entries with fixed timestamps (1980-01-01), so equal arrays give equal files */
static int write_npz(FILE *fp, void *user) {
    const npz_body *z = user;
    unsigned char *cd = calloc((size_t)z->count, 46 + 128);
    size_t cd_len = 0, off = 0;
    int rc = cd ? 0 : -1;
    for (int i = 0; i < z->count && !rc; i++) {
        char name[128];
        size_t len, nl = (size_t)snprintf(name, sizeof name, "%s.npy", z->names[i]);
        unsigned char *npy = npy_bytes(&z->arrays[i], &len), h[30] = {0};
        if (!npy || nl >= sizeof name) {
            free(npy);
            rc = -1;
            break;
        }
        uint32_t crc = (uint32_t)crc32(crc32(0, NULL, 0), npy, (uInt)len);
        put(h, 0x04034b50, 4), put(h + 4, 20, 2), put(h + 12, 0x21, 2), put(h + 14, crc, 4);
        put(h + 18, len, 4), put(h + 22, len, 4), put(h + 26, nl, 2);
        unsigned char *c = cd + cd_len;
        put(c, 0x02014b50, 4), put(c + 4, 20, 2), memcpy(c + 6, h + 4, 26), put(c + 42, off, 4);
        memcpy(c + 46, name, nl);
        cd_len += 46 + nl;
        rc = fwrite(h, 1, 30, fp) != 30 || fwrite(name, 1, nl, fp) != nl ||
                     fwrite(npy, 1, len, fp) != len
                 ? -1
                 : 0;
        off += 30 + nl + len;
        free(npy);
    }
    unsigned char end[22] = {0};
    put(end, 0x06054b50, 4), put(end + 8, (uint64_t)z->count, 2),
        put(end + 10, (uint64_t)z->count, 2);
    put(end + 12, cd_len, 4), put(end + 16, off, 4);
    if (!rc) rc = fwrite(cd, 1, cd_len, fp) != cd_len || fwrite(end, 1, 22, fp) != 22 ? -1 : 0;
    free(cd);
    return rc;
}

int hb_npz_write(const char *path, int count, const char *const *names, const hb_npz_array *arrays,
                 char *err, size_t errlen) {
    size_t total = 0;
    for (int i = 0; i < count; i++) total += arrays[i].n * 8 + 256;
    if (total >= 0xffffffffu)
        return hb_errorf(err, errlen, "%s: arrays too large for a .npz", path);
    npz_body z = {count, names, arrays};
    return hb_atomic_write(path, write_npz, &z, err, errlen);
}
