/* libFuzzer harness: training configs. Input: the INI file, then optionally a NUL byte and
 * key=value overrides separated by NUL bytes. A config that loads must survive the
 * hb_config_write round trip: written, read back and written again, the same bytes; a
 * refusal must be one line. */
#include "fuzz_common.h"

#include "config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const uint8_t *nul = memchr(data, 0, size);
    size_t flen = nul ? (size_t)(nul - data) : size;
    const char *path = fz_put("config.ini", data, flen);
    char *rest = NULL, *over[16];
    int nover = 0;
    if (nul) {
        size_t rlen = size - flen - 1;
        rest = malloc(rlen + 1);
        memcpy(rest, nul + 1, rlen);
        rest[rlen] = 0;
        for (char *p = rest; nover < 16 && p <= rest + rlen; p += strlen(p) + 1) over[nover++] = p;
    }
    hb_config c, back;
    char err[1024];
    if (hb_config_load(path, nover, over, &c, err, sizeof err) == 0) {
        const char *p1 = fz_path("resolved1.ini"), *p2 = fz_path("resolved2.ini");
        if (hb_config_write(&c, p1, err, sizeof err) != 0) abort();
        if (hb_config_load(p1, 0, NULL, &back, err, sizeof err) != 0) abort();
        if (hb_config_write(&back, p2, err, sizeof err) != 0) abort();
        size_t n1, n2;
        uint8_t *b1 = fz_slurp(p1, &n1), *b2 = fz_slurp(p2, &n2);
        if (n1 != n2 || memcmp(b1, b2, n1) != 0) abort();
        free(b1), free(b2);
    } else {
        fz_one_line(err);
    }
    free(rest);
    return 0;
}
