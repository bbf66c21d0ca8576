/* .npz archives of float arrays, the format numpy.savez (stored entries) and
 * numpy.savez_compressed (deflated) write: a zip of NAME.npy files. Here for FID statistics
 * (mu, sigma as pytorch-fid and TTUR save them) and feature sets.
 *
 * Reading finds the entry through the zip's central directory (ZIP64 records included, as
 * numpy writes them), inflates a deflated entry with zlib, checks its CRC-32 and reads the .npy
 * inside: little-endian float64 or float32, C order, 0 to 8 dimensions. Every problem gives -1
 * and one line in err naming the file and the entry; nothing is read out of bounds. Writing is
 * atomic (hb_atomic_write): stored float64 entries, which numpy.load reads. */
#ifndef HB_NPZ_H
#define HB_NPZ_H

#include <stddef.h>
#include <stdint.h>

#define HB_NPZ_MAX_DIMS 8

typedef struct {
    int ndim;
    int64_t shape[HB_NPZ_MAX_DIMS];
    size_t n;     /* product of the shape */
    double *data; /* n values (malloc'ed by hb_npz_read) */
} hb_npz_array;

/* Array `name` (the entry name.npy) of the archive at path. 0, or -1 + err (*out empty). */
int hb_npz_read(const char *path, const char *name, hb_npz_array *out, char *err, size_t errlen);
void hb_npz_array_free(hb_npz_array *a);
/* Writes count arrays under names[i] as float64. 0, or -1 + err (path untouched). */
int hb_npz_write(const char *path, int count, const char *const *names, const hb_npz_array *arrays,
                 char *err, size_t errlen);

#endif
