/* safetensors reading and atomic writing; see safetensors.h. */
#define _POSIX_C_SOURCE 200809L
#include "io/safetensors.h"

#include "io/files.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "safetensors.c stores floats as they are in memory: little-endian hosts only"
#endif

/* Formats a one-line message into err (control characters from names or JSON become '?'). */

static char *dupstr(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

static const char *json_kind(const json_t *v) {
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a non-integer number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "?";
}

/* "[2, 3]" into buf */
static const char *shape_str(char *buf, size_t len, int ndim, const int64_t *shape) {
    size_t k = (size_t)snprintf(buf, len, "[");
    for (int i = 0; i < ndim && k < len; i++)
        k += (size_t)snprintf(buf + k, len - k, "%s%lld", i ? ", " : "", (long long)shape[i]);
    if (k < len) snprintf(buf + k, len - k, "]");
    return buf;
}

/* ---------------------------------------------------------------------------- loading */

typedef struct {
    const char *name; /* points into the JSON */
    int ndim;
    int64_t shape[HB_ST_MAX_DIMS];
    uint64_t begin, end;
    size_t n;
} entry;

static int by_offset(const void *a, const void *b) {
    const entry *x = a, *y = b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end) return x->end < y->end ? -1 : 1;
    return 0;
}

static int by_name(const void *a, const void *b) {
    return strcmp(((const hb_st_tensor *)a)->name, ((const hb_st_tensor *)b)->name);
}

typedef struct {
    char *k, *v;
} kv;

static int kv_by_key(const void *a, const void *b) {
    return strcmp(((const kv *)a)->k, ((const kv *)b)->k);
}

#define NAMEF "'%.100s'"

static int parse_meta(const char *path, json_t *m, hb_st_file *out, char *err, size_t errlen) {
    if (!json_is_object(m))
        return hb_errorf(err, errlen, "%s: \"__metadata__\": expected an object of strings, found %s",
                    path, json_kind(m));
    size_t n = json_object_size(m);
    kv *a = calloc(n ? n : 1, sizeof *a);
    if (!a) return hb_errorf(err, errlen, "%s: out of memory", path);
    const char *key;
    json_t *val;
    size_t i = 0;
    json_object_foreach(m, key, val) {
        if (!json_is_string(val)) {
            free(a);
            return hb_errorf(err, errlen,
                        "%s: \"__metadata__\" key " NAMEF ": expected a string, found %s", path,
                        key, json_kind(val));
        }
        a[i].k = (char *)key;
        a[i].v = (char *)json_string_value(val);
        i++;
    }
    qsort(a, n, sizeof *a, kv_by_key);
    out->meta_key = calloc(n ? n : 1, sizeof(char *));
    out->meta_val = calloc(n ? n : 1, sizeof(char *));
    if (!out->meta_key || !out->meta_val) {
        free(a);
        return hb_errorf(err, errlen, "%s: out of memory", path);
    }
    for (i = 0; i < n; i++) {
        out->meta_key[i] = dupstr(a[i].k);
        out->meta_val[i] = dupstr(a[i].v);
        out->nmeta = (int)i + 1;
        if (!out->meta_key[i] || !out->meta_val[i]) {
            free(a);
            return hb_errorf(err, errlen, "%s: out of memory", path);
        }
    }
    free(a);
    return 0;
}

/* Checks one tensor entry of the header into *e. */
static int parse_entry(const char *path, const char *name, json_t *v, entry *e, char *err,
                       size_t errlen) {
    char sb[200];
    e->name = name;
    if (!json_is_object(v))
        return hb_errorf(err, errlen,
                    "%s: tensor " NAMEF
                    ": expected an object with dtype, shape and data_offsets, found %s",
                    path, name, json_kind(v));
    json_t *dt = json_object_get(v, "dtype"), *sh = json_object_get(v, "shape"),
           *off = json_object_get(v, "data_offsets");
    const char *missing = !dt ? "dtype" : !sh ? "shape" : !off ? "data_offsets" : NULL;
    if (missing)
        return hb_errorf(err, errlen, "%s: tensor " NAMEF ": expected a \"%s\" field, found none",
                    path, name, missing);
    if (!json_is_string(dt))
        return hb_errorf(err, errlen, "%s: tensor " NAMEF ": dtype: expected a string, found %s", path,
                    name, json_kind(dt));
    if (strcmp(json_string_value(dt), "F32") != 0)
        return hb_errorf(err, errlen,
                    "%s: tensor " NAMEF ": dtype: expected F32, found %.40s (not supported)",
                    path, name, json_string_value(dt));
    if (!json_is_array(sh))
        return hb_errorf(err, errlen, "%s: tensor " NAMEF ": shape: expected an array, found %s", path,
                    name, json_kind(sh));
    if (json_array_size(sh) > HB_ST_MAX_DIMS)
        return hb_errorf(err, errlen,
                    "%s: tensor " NAMEF ": shape: expected at most %d dimensions, found %zu", path,
                    name, HB_ST_MAX_DIMS, json_array_size(sh));
    e->ndim = (int)json_array_size(sh);
    uint64_t n = 1;
    for (int i = 0; i < e->ndim; i++) {
        json_t *d = json_array_get(sh, (size_t)i);
        if (!json_is_integer(d) || json_integer_value(d) < 0)
            return hb_errorf(err, errlen,
                        "%s: tensor " NAMEF
                        ": shape[%d]: expected a non-negative integer, found %s%s",
                        path, name, i, json_kind(d),
                        json_is_integer(d) ? " (negative)" : "");
        e->shape[i] = json_integer_value(d);
        uint64_t di = (uint64_t)e->shape[i];
        if (di && n > (SIZE_MAX / 4) / di)
            return hb_errorf(err, errlen, "%s: tensor " NAMEF ": shape %s: too many elements", path,
                        name, shape_str(sb, sizeof sb, i + 1, e->shape));
        n *= di;
    }
    e->n = (size_t)n;
    if (!json_is_array(off) || json_array_size(off) != 2)
        return hb_errorf(err, errlen,
                    "%s: tensor " NAMEF ": data_offsets: expected an array [begin, end], found %s",
                    path, name,
                    json_is_array(off) ? "an array of the wrong length" : json_kind(off));
    json_t *b = json_array_get(off, 0), *en = json_array_get(off, 1);
    if (!json_is_integer(b) || !json_is_integer(en))
        return hb_errorf(err, errlen,
                    "%s: tensor " NAMEF ": data_offsets: expected two integers, found %s and %s",
                    path, name, json_kind(b), json_kind(en));
    if (json_integer_value(b) < 0 || json_integer_value(en) < json_integer_value(b))
        return hb_errorf(err, errlen,
                    "%s: tensor " NAMEF
                    ": data_offsets: expected 0 <= begin <= end, found [%lld, %lld]",
                    path, name, (long long)json_integer_value(b),
                    (long long)json_integer_value(en));
    e->begin = (uint64_t)json_integer_value(b);
    e->end = (uint64_t)json_integer_value(en);
    if (e->end - e->begin != n * 4)
        return hb_errorf(err, errlen,
                    "%s: tensor " NAMEF ": data_offsets [%llu, %llu]: expected %llu bytes for "
                    "F32 shape %s, found %llu",
                    path, name, (unsigned long long)e->begin, (unsigned long long)e->end,
                    (unsigned long long)(n * 4), shape_str(sb, sizeof sb, e->ndim, e->shape),
                    (unsigned long long)(e->end - e->begin));
    return 0;
}

/* The header: its 8-byte length, then that many bytes of JSON into *hdr (malloc'ed) */
static int read_header(FILE *fp, const char *path, uint64_t fsize, char **hdr, uint64_t *hlen_out,
                       char *err, size_t errlen) {
    unsigned char lb[8];
    if (fsize < 8 || fread(lb, 1, 8, fp) != 8) {
        hb_errorf(err, errlen,
             "%s: expected at least 8 bytes (the header length), found a %llu-byte file", path,
             (unsigned long long)fsize);
        return -1;
    }
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = hlen << 8 | lb[i];
    if (hlen > HB_ST_MAX_HEADER) {
        hb_errorf(err, errlen, "%s: header length: expected at most %u bytes, found %llu", path,
             HB_ST_MAX_HEADER, (unsigned long long)hlen);
        return -1;
    }
    if (hlen > fsize - 8) {
        hb_errorf(err, errlen,
             "%s: header length: expected at most the %llu bytes after it, found %llu "
             "(truncated file, or not a safetensors file)",
             path, (unsigned long long)(fsize - 8), (unsigned long long)hlen);
        return -1;
    }
    *hdr = malloc(hlen + 1);
    if (!*hdr) {
        hb_errorf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    if (fread(*hdr, 1, hlen, fp) != hlen) {
        hb_errorf(err, errlen, "%s: header: expected %llu bytes, read fewer", path,
             (unsigned long long)hlen);
        return -1;
    }
    *hlen_out = hlen;
    return 0;
}

/* The entries (sorted by offset here) must tile the data section of dsize bytes exactly */
static int check_tiling(const char *path, entry *ents, int count, uint64_t dsize, char *err,
                        size_t errlen) {
    uint64_t pos = 0;
    qsort(ents, (size_t)count, sizeof *ents, by_offset);
    for (int i = 0; i < count; i++) {
        const entry *e = &ents[i];
        if (e->begin < pos) {
            hb_errorf(err, errlen,
                 "%s: tensor " NAMEF ": data_offsets [%llu, %llu] overlap tensor " NAMEF
                 " (expected begin %llu)",
                 path, e->name, (unsigned long long)e->begin, (unsigned long long)e->end,
                 ents[i - 1].name, (unsigned long long)pos);
            return -1;
        }
        if (e->begin > pos) {
            hb_errorf(err, errlen,
                 "%s: tensor " NAMEF ": data_offsets [%llu, %llu]: expected begin %llu, found a "
                 "gap of %llu bytes belonging to no tensor",
                 path, e->name, (unsigned long long)e->begin, (unsigned long long)e->end,
                 (unsigned long long)pos, (unsigned long long)(e->begin - pos));
            return -1;
        }
        pos = e->end;
    }
    if (pos > dsize) {
        hb_errorf(err, errlen,
             "%s: tensor " NAMEF ": data truncated: expected %llu bytes of data, found %llu",
             path, ents[count - 1].name, (unsigned long long)pos, (unsigned long long)dsize);
        return -1;
    }
    if (pos < dsize) {
        hb_errorf(err, errlen,
             "%s: data section: expected %llu bytes (the tensors' extent), found %llu "
             "(trailing bytes belong to no tensor)",
             path, (unsigned long long)pos, (unsigned long long)dsize);
        return -1;
    }

    return 0;
}

/* The tensors' data, which follows the header directly, in offset order */
static int read_tensors(FILE *fp, const char *path, const entry *ents, int count,
                        hb_st_file *out, char *err, size_t errlen) {
    for (int i = 0; i < count; i++) {
        const entry *e = &ents[i];
        hb_st_tensor *t = &out->t[i];
        out->count = i + 1;
        t->name = dupstr(e->name);
        t->ndim = e->ndim;
        memcpy(t->shape, e->shape, sizeof t->shape);
        t->n = e->n;
        t->data = malloc(e->n ? e->n * 4 : 4);
        if (!t->name || !t->data) {
            hb_errorf(err, errlen, "%s: tensor " NAMEF ": out of memory for %zu floats", path,
                 e->name, e->n);
            return -1;
        }
        if (fread(t->data, 4, e->n, fp) != e->n) {
            hb_errorf(err, errlen, "%s: tensor " NAMEF ": expected %zu floats of data, read fewer",
                 path, e->name, e->n);
            return -1;
        }
    }
    return 0;
}

int hb_st_load(const char *path, hb_st_file *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    int rc = -1;
    char *hdr = NULL;
    json_t *root = NULL;
    entry *ents = NULL;
    FILE *fp = fopen(path, "rb");
    if (!fp) return hb_errorf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode)) {
        hb_errorf(err, errlen, "%s: expected a regular file", path);
        goto done;
    }
    uint64_t fsize = (uint64_t)st.st_size;
    uint64_t hlen;
    if (read_header(fp, path, fsize, &hdr, &hlen, err, errlen)) goto done;
    json_error_t je;
    root = json_loadb(hdr, hlen, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
    if (!root) {
        hb_errorf(err, errlen, "%s: header: expected JSON, found an error at byte %d: %s", path,
             je.position, je.text);
        goto done;
    }
    if (!json_is_object(root)) {
        hb_errorf(err, errlen, "%s: header: expected a JSON object, found %s", path, json_kind(root));
        goto done;
    }
    size_t nobj = json_object_size(root);
    ents = calloc(nobj ? nobj : 1, sizeof *ents);
    if (!ents) {
        hb_errorf(err, errlen, "%s: out of memory", path);
        goto done;
    }
    int count = 0;
    const char *key;
    json_t *val;
    json_object_foreach(root, key, val) {
        if (strcmp(key, "__metadata__") == 0) {
            if (parse_meta(path, val, out, err, errlen)) goto done;
            continue;
        }
        if (parse_entry(path, key, val, &ents[count], err, errlen)) goto done;
        count++;
    }

    /* the data_offsets must tile the data section exactly */
    if (check_tiling(path, ents, count, fsize - 8 - hlen, err, errlen)) goto done;

    out->path = dupstr(path);
    out->t = calloc(count ? (size_t)count : 1, sizeof *out->t);
    if (!out->path || !out->t) {
        hb_errorf(err, errlen, "%s: out of memory", path);
        goto done;
    }
    if (read_tensors(fp, path, ents, count, out, err, errlen)) goto done;
    qsort(out->t, (size_t)out->count, sizeof *out->t, by_name);
    rc = 0;
done:
    if (rc) hb_st_free(out);
    free(ents);
    json_decref(root);
    free(hdr);
    fclose(fp);
    return rc;
}

const hb_st_tensor *hb_st_find(const hb_st_file *f, const char *name) {
    if (!f || !f->t || !name) return NULL;
    hb_st_tensor key = {.name = (char *)name};
    return bsearch(&key, f->t, (size_t)f->count, sizeof *f->t, by_name);
}

int hb_st_expect(const hb_st_file *f, const char *name, int ndim, const int64_t *shape, char *err,
                 size_t errlen) {
    char want[200], got[200];
    const char *path = f && f->path ? f->path : "(no file)";
    const hb_st_tensor *t = hb_st_find(f, name);
    if (ndim < 0 || ndim > HB_ST_MAX_DIMS) ndim = ndim < 0 ? 0 : HB_ST_MAX_DIMS;
    shape_str(want, sizeof want, ndim, shape);
    if (!t)
        return hb_errorf(err, errlen,
                    "%s: tensor " NAMEF ": expected F32 shape %s, found no such tensor", path,
                    name, want);
    int same = t->ndim == ndim;
    for (int i = 0; same && i < ndim; i++) same = t->shape[i] == shape[i];
    if (!same)
        return hb_errorf(err, errlen, "%s: tensor " NAMEF ": expected shape %s, found %s", path, name,
                    want, shape_str(got, sizeof got, t->ndim, t->shape));
    return 0;
}

const char *hb_st_meta_get(const hb_st_file *f, const char *key) {
    for (int i = 0; f && key && i < f->nmeta; i++)
        if (strcmp(f->meta_key[i], key) == 0) return f->meta_val[i];
    return NULL;
}

void hb_st_free(hb_st_file *f) {
    if (!f) return;
    for (int i = 0; i < f->count; i++) {
        free(f->t[i].name);
        free(f->t[i].data);
    }
    for (int i = 0; i < f->nmeta; i++) {
        free(f->meta_key[i]);
        free(f->meta_val[i]);
    }
    free(f->t);
    free(f->meta_key);
    free(f->meta_val);
    free(f->path);
    memset(f, 0, sizeof *f);
}

/* ---------------------------------------------------------------------------- writing */

typedef struct {
    char *name;
    int ndim;
    int64_t shape[HB_ST_MAX_DIMS];
    const float *data;
    size_t n;
} wtensor;

struct hb_st_writer {
    wtensor *t;
    int count, cap;
    kv *meta;
    int nmeta, metacap;
    char bad[300]; /* first error from hb_st_add / hb_st_meta */
};

hb_st_writer *hb_st_writer_new(void) { return calloc(1, sizeof(hb_st_writer)); }

/* Adds a tensor, or returns why not. */
static const char *add_tensor(hb_st_writer *w, const char *name, int ndim, const int64_t *shape,
                              const float *data) {
    if (!name) return "expected a name, found NULL";
    if (strcmp(name, "__metadata__") == 0) return "the name is reserved";
    if (ndim < 0 || ndim > HB_ST_MAX_DIMS || (ndim && !shape))
        return "expected 0..8 dimensions with a shape array";
    uint64_t n = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0) return "negative dimension in shape";
        uint64_t d = (uint64_t)shape[i];
        if (d && n > (SIZE_MAX / 4) / d) return "too many elements";
        n *= d;
    }
    if (n && !data) return "data is NULL";
    if (w->count == w->cap) {
        int cap = w->cap ? 2 * w->cap : 16;
        wtensor *t = realloc(w->t, (size_t)cap * sizeof *t);
        if (!t) return "out of memory";
        w->t = t;
        w->cap = cap;
    }
    wtensor *t = &w->t[w->count];
    memset(t, 0, sizeof *t);
    if (!(t->name = dupstr(name))) return "out of memory";
    t->ndim = ndim;
    for (int i = 0; i < ndim; i++) t->shape[i] = shape[i];
    t->data = data;
    t->n = (size_t)n;
    w->count++;
    return NULL;
}

void hb_st_add(hb_st_writer *w, const char *name, int ndim, const int64_t *shape,
               const float *data) {
    if (!w) return;
    const char *why = add_tensor(w, name, ndim, shape, data);
    if (why && !w->bad[0])
        snprintf(w->bad, sizeof w->bad, "tensor '%.100s': %s", name ? name : "(null)", why);
}

/* Sets a metadata entry, or returns why not. */
static const char *set_meta(hb_st_writer *w, const char *key, const char *value) {
    if (!key || !value) return "expected a key and a value, found NULL";
    char *v = dupstr(value);
    if (!v) return "out of memory";
    for (int i = 0; i < w->nmeta; i++)
        if (strcmp(w->meta[i].k, key) == 0) {
            free(w->meta[i].v);
            w->meta[i].v = v;
            return NULL;
        }
    if (w->nmeta == w->metacap) {
        int cap = w->metacap ? 2 * w->metacap : 8;
        kv *m = realloc(w->meta, (size_t)cap * sizeof *m);
        if (!m) {
            free(v);
            return "out of memory";
        }
        w->meta = m;
        w->metacap = cap;
    }
    kv *m = &w->meta[w->nmeta];
    if (!(m->k = dupstr(key))) {
        free(v);
        return "out of memory";
    }
    m->v = v;
    w->nmeta++;
    return NULL;
}

void hb_st_meta(hb_st_writer *w, const char *key, const char *value) {
    if (!w) return;
    const char *why = set_meta(w, key, value);
    if (why && !w->bad[0])
        snprintf(w->bad, sizeof w->bad, "metadata '%.100s': %s", key ? key : "(null)", why);
}

void hb_st_writer_free(hb_st_writer *w) {
    if (!w) return;
    for (int i = 0; i < w->count; i++) free(w->t[i].name);
    for (int i = 0; i < w->nmeta; i++) {
        free(w->meta[i].k);
        free(w->meta[i].v);
    }
    free(w->t);
    free(w->meta);
    free(w);
}

static int wt_by_name(const void *a, const void *b) {
    return strcmp(((const wtensor *)a)->name, ((const wtensor *)b)->name);
}

/* The padded header JSON (malloc'ed, *len bytes, a multiple of 8), or NULL with err set. */
static char *build_header(hb_st_writer *w, const char *path, size_t *len, char *err,
                          size_t errlen) {
    json_t *root = json_object(), *m = NULL;
    char *s = NULL, *out = NULL;
    if (!root) goto oom;
    if (w->nmeta) {
        qsort(w->meta, (size_t)w->nmeta, sizeof *w->meta, kv_by_key);
        if (!(m = json_object())) goto oom;
        for (int i = 0; i < w->nmeta; i++) {
            json_t *v = json_string(w->meta[i].v);
            if (!v || json_object_set_new(m, w->meta[i].k, v)) {
                hb_errorf(err, errlen,
                     "%s: metadata '%.100s': expected a UTF-8 key and value, found invalid bytes",
                     path, w->meta[i].k);
                goto fail;
            }
        }
        json_t *mm = m;
        m = NULL; /* json_object_set_new takes the reference even when it fails */
        if (json_object_set_new(root, "__metadata__", mm)) goto oom;
    }
    uint64_t off = 0;
    for (int i = 0; i < w->count; i++) {
        const wtensor *t = &w->t[i];
        json_t *e = json_pack("{s:s, s:[], s:[I, I]}", "dtype", "F32", "shape", "data_offsets",
                              (json_int_t)off, (json_int_t)(off + t->n * 4));
        if (!e) goto oom;
        json_t *sh = json_object_get(e, "shape");
        for (int d = 0; d < t->ndim; d++)
            if (json_array_append_new(sh, json_integer(t->shape[d]))) {
                json_decref(e);
                goto oom;
            }
        if (json_object_set_new(root, t->name, e)) {
            hb_errorf(err, errlen, "%s: tensor '%.100s': expected a UTF-8 name, found invalid bytes",
                 path, t->name);
            goto fail;
        }
        off += t->n * 4;
    }
    /* jansson keeps insertion order: __metadata__ first, then tensors by name, as the
     * reference library writes them */
    s = json_dumps(root, JSON_COMPACT);
    if (!s) goto oom;
    size_t n = strlen(s), padded = (n + 7) / 8 * 8;
    if (padded > HB_ST_MAX_HEADER) {
        hb_errorf(err, errlen, "%s: header: expected at most %u bytes, found %zu", path,
             HB_ST_MAX_HEADER, padded);
        goto fail;
    }
    if (!(out = malloc(padded))) goto oom;
    memcpy(out, s, n);
    memset(out + n, ' ', padded - n);
    *len = padded;
    free(s);
    json_decref(root);
    return out;
oom:
    hb_errorf(err, errlen, "%s: out of memory building the header", path);
fail:
    free(s);
    json_decref(m);
    json_decref(root);
    return NULL;
}

struct file_parts {
    const hb_st_writer *w;
    const char *hdr;
    size_t hlen;
};

/* Header length, header, then every tensor's data in name order. */
static int write_parts(FILE *fp, void *user) {
    const struct file_parts *p = user;
    unsigned char lb[8];
    for (int i = 0; i < 8; i++) lb[i] = (unsigned char)((uint64_t)p->hlen >> (8 * i));
    int ok = fwrite(lb, 1, 8, fp) == 8 && fwrite(p->hdr, 1, p->hlen, fp) == p->hlen;
    for (int i = 0; ok && i < p->w->count; i++)
        ok = !p->w->t[i].n || fwrite(p->w->t[i].data, 4, p->w->t[i].n, fp) == p->w->t[i].n;
    return ok ? 0 : -1;
}

int hb_st_write(hb_st_writer *w, const char *path, char *err, size_t errlen) {
    if (!w || !path) return hb_errorf(err, errlen, "hb_st_write: expected a writer and a path");
    if (w->bad[0]) return hb_errorf(err, errlen, "%s: %s; nothing written", path, w->bad);
    if (w->count) qsort(w->t, (size_t)w->count, sizeof *w->t, wt_by_name);
    for (int i = 1; i < w->count; i++)
        if (strcmp(w->t[i].name, w->t[i - 1].name) == 0)
            return hb_errorf(err, errlen,
                        "%s: tensor '%.100s': expected unique names, found it twice; nothing "
                        "written",
                        path, w->t[i].name);
    size_t hlen;
    char *hdr = build_header(w, path, &hlen, err, errlen);
    if (!hdr) return -1;

    struct file_parts parts = {w, hdr, hlen};
    int rc = hb_atomic_write(path, write_parts, &parts, err, errlen);
    free(hdr);
    return rc;
}
