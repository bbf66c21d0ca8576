/* libFuzzer harness: folder: data sets (PNG through stb_image, JPEG through libjpeg-turbo;
 * cropped and resized). Input: options byte (fuzz_dataset.h; bit 3: the image is in the folder
 * twice, bit 4: a second, different file follows), then with bit 4 a 2-byte little-endian
 * length of the first image, then the image file(s). stb_image itself is compiled into the
 * harness (stb_impl.c) with the sanitizers, so its decoding of hostile files is checked too;
 * libjpeg-turbo is the system's (fuzzed upstream by OSS-Fuzz). */
#include "fuzz_dataset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    int s, c;
    uint8_t opt = data[0];
    fz_options(opt, &s, &c);
    data++, size--;
    size_t first = size;
    if (opt & 16 && size >= 2) {
        first = (size_t)(data[0] | data[1] << 8);
        data += 2, size -= 2;
        if (first > size) first = size;
    }
    const char *dir = fz_path("images");
    char spec[600];
    snprintf(spec, sizeof spec, "folder:%s", dir);
    mkdir(dir, 0700);
    const char *names[3] = {"images/a.png", "images/b.jpg", "images/c.png"};
    for (int i = 0; i < 3; i++) unlink(fz_path(names[i]));
    fz_put(names[0], data, first);
    if (opt & 8) fz_put(names[1], data, first);
    if (opt & 16) fz_put(names[2], data + first, size - first);
    fz_load(spec, s, c);
    return 0;
}
