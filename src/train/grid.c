/* Sample grids as PNG through stb_image_write. */
#include "train/grid.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <stb/stb_image_write.h>

static uint8_t to_byte(float v) {
    if (!(v > -1.0f)) v = -1.0f; /* NaN shows as black */
    if (v > 1.0f) v = 1.0f;
    return (uint8_t)((v + 1.0f) * 127.5f + 0.5f);
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
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int ok = stbi_write_png(tmp, W, H, nch, img, W * nch) != 0;
    free(img);
    if (ok && rename(tmp, path) == 0) return 0;
    snprintf(err, errlen, "could not write %s: %s", path, strerror(errno ? errno : EIO));
    unlink(tmp);
    return -1;
}
