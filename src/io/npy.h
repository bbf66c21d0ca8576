/* Writing .npy arrays (format version 1.0, C order), atomically (hb_atomic_write): what
 * `hatebm sample` writes and numpy.load / the npy: data sets read. */
#ifndef HB_NPY_H
#define HB_NPY_H

#include <stddef.h>
#include <stdint.h>

/* Images [n][c][h][w] in [-1, 1] as uint8 NHWC (round((x + 1) / 2 * 255), clipped), the layout
 * of the authors' FID inputs. 0, or -1 + err. */
int hb_npy_write_images(const char *path, const float *x, int n, int c, int h, int w, char *err,
                        size_t errlen);
/* float32 array of any shape (ndim 1..8). 0, or -1 + err. */
int hb_npy_write_f32(const char *path, const float *x, int ndim, const int64_t *shape, char *err,
                     size_t errlen);

#endif
