/* libFuzzer harness: CIFAR-10 binary batches. Input: options byte (fuzz_dataset.h), then the
 * batch file. */
#include "fuzz_dataset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    return fz_one_file(data, size, "cifar10", "data_batch.bin");
}
