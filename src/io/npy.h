/* .npy arrays: writing (format version 1.0, C order), atomically (hb_atomic_write): what
 * `hatebm sample` writes and numpy.load / the npy: data sets read; and reading their header. */
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

/* A parsed .npy header: an array of uint8 or little-endian float32 in C order. */
typedef struct {
    int f32;                   /* 1: float32, 0: uint8 */
    int ndim;                  /* 0..8 */
    uint64_t shape[8];         /* each at most 2^40 */
    const unsigned char *data; /* what follows the header, inside the parsed bytes */
    size_t data_bytes;         /* its length; not checked against shape and dtype */
} hb_npy;
/* Parses the header of the .npy file (format 1.0, 2.0 or 3.0) whose n bytes are b; errors name
 * path. Other dtypes and Fortran order are refused. 0, or -1 + err. */
int hb_npy_parse(const char *path, const unsigned char *b, size_t n, hb_npy *out, char *err,
                 size_t errlen);

#endif
