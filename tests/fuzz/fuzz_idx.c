/* libFuzzer harness: IDX images (plain or gzip; zlib reads both) with an optional IDX label
 * file. Input: options byte (fuzz_dataset.h; bit 3: labels follow), then with labels a 2-byte
 * little-endian length of the image file, the image file and the label file. */
#include "fuzz_dataset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    int s, c;
    fz_options(data[0], &s, &c);
    data++, size--;
    char spec[600];
    if (data[-1] & 8 && size >= 2) {
        size_t ilen = (size_t)(data[0] | data[1] << 8);
        data += 2, size -= 2;
        if (ilen > size) ilen = size;
        const char *img = fz_put("images.idx", data, ilen);
        const char *lab = fz_put("labels.idx", data + ilen, size - ilen);
        snprintf(spec, sizeof spec, "idx:%s,%s", img, lab);
    } else {
        snprintf(spec, sizeof spec, "idx:%s", fz_put("images.idx", data, size));
    }
    fz_load(spec, s, c);
    return 0;
}
