/* Sample grids as PNG through stb_image_write. */
#include "train/grid.h"

#include "io/files.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stb/stb_image_write.h>

static uint8_t to_byte(float v) {
    if (!(v > -1.0f)) v = -1.0f; /* NaN shows as black */
    if (v > 1.0f) v = 1.0f;
    return (uint8_t)((v + 1.0f) * 127.5f + 0.5f);
}

struct png {
    const uint8_t *pixels;
    int w, h, nch;
};

static void to_file(void *fp, void *data, int size) { fwrite(data, 1, (size_t)size, fp); }

static int write_png(FILE *fp, void *user) {
    const struct png *p = user;
    int ok = stbi_write_png_to_func(to_file, fp, p->w, p->h, p->nch, p->pixels, p->w * p->nch);
    return ok && !ferror(fp) ? 0 : -1;
}

int hb_write_grid(const char *path, const float *x, const float *g, const float *y, int n, int nch,
                  int res, float mag, char *err, size_t errlen) {
    const float *rows[3] = {x, g, y};
    int W = n * res, H = 3 * res;
    uint8_t *img = malloc((size_t)W * H * nch);
    for (int r = 0; r < 3; r++)
        for (int i = 0; i < n; i++)
            for (int c = 0; c < nch; c++)
                for (int py = 0; py < res; py++)
                    for (int px = 0; px < res; px++) {
                        float v = rows[r][(((size_t)i * nch + c) * res + py) * res + px];
                        if (r == 2) v *= mag;
                        size_t o = ((size_t)(r * res + py) * W + (size_t)i * res + px) * nch + c;
                        img[o] = to_byte(v);
                    }
    struct png png = {img, W, H, nch};
    int rc = hb_atomic_write(path, write_png, &png, err, errlen);
    free(img);
    return rc;
}
