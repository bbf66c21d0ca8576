/* libFuzzer harness: .npy arrays. Input: options byte (fuzz_dataset.h), then the file. */
#include "fuzz_dataset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    return fz_one_file(data, size, "npy", "data.npy");
}
