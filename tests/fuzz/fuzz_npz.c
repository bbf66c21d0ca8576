/* libFuzzer harness: .npz archives (FID statistics). Arrays "mu" and "sigma" are read; one
 * that reads must be written back and read again equal. A refusal must be one line. */
#include "fuzz_common.h"

#include "io/npz.h"

static void round_trip(const hb_npz_array *a) {
    char err[1024];
    const char *name = "x", *path = fz_path("copy.npz");
    hb_npz_array b;
    if (hb_npz_write(path, 1, &name, a, err, sizeof err) != 0) abort(); /* what reads must write */
    if (hb_npz_read(path, "x", &b, err, sizeof err) != 0) abort();
    if (b.ndim != a->ndim || b.n != a->n || memcmp(b.shape, a->shape, sizeof b.shape) ||
        memcmp(b.data, a->data, a->n * sizeof *a->data))
        abort();
    hb_npz_array_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fz_put("in.npz", data, size);
    const char *names[2] = {"mu", "sigma"};
    for (int i = 0; i < 2; i++) {
        hb_npz_array a;
        char err[1024];
        if (hb_npz_read(path, names[i], &a, err, sizeof err) != 0) {
            fz_one_line(err);
            continue;
        }
        round_trip(&a);
        hb_npz_array_free(&a);
    }
    return 0;
}
