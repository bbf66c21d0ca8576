/* safetensors weight files (https://github.com/huggingface/safetensors), F32 only, host side.
 *
 * Layout: 8-byte little-endian header length N, N bytes of JSON (an object: tensor name ->
 * {"dtype", "shape", "data_offsets"}, plus an optional "__metadata__" object of strings),
 * then the data section, which the tensors' data_offsets must tile exactly.
 *
 * Loading validates everything the reference implementation does (and never reads out of
 * bounds): any problem gives -1 and one line in err naming the file, the tensor, what was
 * expected and what was found. Writing is atomic and byte-reproducible: tensors in sorted name
 * order, metadata keys sorted, compact JSON padded with spaces to 8 bytes — the same bytes the
 * Rust/Python library writes for F32 tensors. */
#ifndef HB_SAFETENSORS_H
#define HB_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#define HB_ST_MAX_DIMS 8
#define HB_ST_MAX_HEADER (100u << 20) /* as the reference implementation */

typedef struct {
    char *name;
    int ndim; /* 0 for a scalar */
    int64_t shape[HB_ST_MAX_DIMS];
    float *data; /* n floats, never NULL (even when n == 0) */
    size_t n;
} hb_st_tensor;

typedef struct {
    char *path;
    hb_st_tensor *t; /* sorted by name */
    int count;
    char **meta_key, **meta_val; /* "__metadata__", sorted by key */
    int nmeta;
} hb_st_file;

/* 0 on success; else -1, *out left empty (safe to hb_st_free) and a one-line message in err. */
int hb_st_load(const char *path, hb_st_file *out, char *err, size_t errlen);
/* NULL when there is no tensor of that name. */
const hb_st_tensor *hb_st_find(const hb_st_file *f, const char *name);
/* 0 when the tensor exists with exactly this shape; else -1 and a message naming the tensor
 * with the expected and the found shape. */
int hb_st_expect(const hb_st_file *f, const char *name, int ndim, const int64_t *shape, char *err,
                 size_t errlen);
/* Metadata value, or NULL. */
const char *hb_st_meta_get(const hb_st_file *f, const char *key);
void hb_st_free(hb_st_file *f);

/* Writer: the tensors' data is not copied and must stay valid until hb_st_write. Bad
 * arguments to hb_st_add (duplicate name, ndim out of range, negative dimension) are
 * remembered and make hb_st_write fail with a message. A repeated metadata key replaces the
 * earlier value. */
typedef struct hb_st_writer hb_st_writer;
hb_st_writer *hb_st_writer_new(void);
void hb_st_add(hb_st_writer *w, const char *name, int ndim, const int64_t *shape,
               const float *data);
void hb_st_meta(hb_st_writer *w, const char *key, const char *value);
/* Temp file in the same directory, written, flushed, fsync'ed, renamed over path. 0 on
 * success; else -1, a one-line message in err, no temp file left and path untouched. */
int hb_st_write(hb_st_writer *w, const char *path, char *err, size_t errlen);
void hb_st_writer_free(hb_st_writer *w);

#endif
