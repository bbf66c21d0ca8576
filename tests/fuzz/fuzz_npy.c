/* libFuzzer harness: .npy arrays. Input: options byte (fuzz_dataset.h), then the file. */
#include "fuzz_dataset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    int s, c;
    fz_options(data[0], &s, &c);
    char spec[600];
    snprintf(spec, sizeof spec, "npy:%s", fz_put("data.npy", data + 1, size - 1));
    fz_load(spec, s, c);
    return 0;
}
