/* libFuzzer harness: safetensors files (header and data). A file that loads must be written
 * back byte-reproducibly: loading the copy gives the same tensors and metadata, and writing
 * that again gives the same bytes. A refusal must be one line. */
#include "fuzz_common.h"

#include "io/safetensors.h"

static void write_copy(const hb_st_file *f, const char *path) {
    char err[1024];
    hb_st_writer *w = hb_st_writer_new();
    for (int i = 0; i < f->count; i++)
        hb_st_add(w, f->t[i].name, f->t[i].ndim, f->t[i].shape, f->t[i].data);
    for (int i = 0; i < f->nmeta; i++) hb_st_meta(w, f->meta_key[i], f->meta_val[i]);
    if (hb_st_write(w, path, err, sizeof err) != 0) abort(); /* what loads must be writable */
    hb_st_writer_free(w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fz_put("in.safetensors", data, size);
    hb_st_file f, g, h;
    char err[1024];
    if (hb_st_load(path, &f, err, sizeof err) != 0) {
        fz_one_line(err);
        return 0;
    }
    for (int i = 0; i < f.count; i++) {
        if (hb_st_find(&f, f.t[i].name) != &f.t[i]) abort();
        if (hb_st_expect(&f, f.t[i].name, f.t[i].ndim, f.t[i].shape, err, sizeof err)) abort();
    }
    const char *p1 = fz_path("copy1.safetensors"), *p2 = fz_path("copy2.safetensors");
    write_copy(&f, p1);
    if (hb_st_load(p1, &g, err, sizeof err) != 0) abort();
    if (g.count != f.count || g.nmeta != f.nmeta) abort();
    for (int i = 0; i < f.count; i++)
        if (strcmp(f.t[i].name, g.t[i].name) || f.t[i].n != g.t[i].n ||
            memcmp(f.t[i].data, g.t[i].data, f.t[i].n * 4))
            abort();
    for (int i = 0; i < f.nmeta; i++)
        if (strcmp(f.meta_key[i], g.meta_key[i]) || strcmp(f.meta_val[i], g.meta_val[i])) abort();
    write_copy(&g, p2);
    size_t n1, n2;
    uint8_t *b1 = fz_slurp(p1, &n1), *b2 = fz_slurp(p2, &n2);
    if (n1 != n2 || memcmp(b1, b2, n1)) abort();
    free(b1), free(b2);
    if (hb_st_load(p2, &h, err, sizeof err) != 0) abort();
    hb_st_free(&h);
    hb_st_free(&g);
    hb_st_free(&f);
    return 0;
}
