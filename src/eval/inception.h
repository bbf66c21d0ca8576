/* The FID Inception network (pytorch-fid's FIDInceptionV3: the 2015-12-05 TensorFlow graph),
 * forward only, for Inception FID comparable with pytorch-fid and TTUR. It differs from
 * torchvision's Inception v3 where TensorFlow's graph does: average pools of the A, C and
 * first E blocks leave the padding out (count_include_pad=False), the last E block's pool
 * branch is a 3x3 max pool, and (irrelevant here) 1008 classes. Input: images of any size in
 * [-1, 1] (= 2x - 1 of [0, 1] images), grey repeated to 3 channels, resized to 299x299
 * bilinearly (align_corners=False) on the device; features: the 2048 values after the final
 * average pool. Batch norms (eps 1e-3) are folded into the convolutions at load time.
 *
 * Weights: pytorch-fid's pt_inception-2015-12-05-6726825d.pth converted to safetensors by
 * scripts/convert_inception.py (tensor names as in the state dict, "Mixed_5b.branch1x1.conv.
 * weight", "...bn.running_var"; the fc layer is not needed). */
#ifndef HB_INCEPTION_H
#define HB_INCEPTION_H

#include "ops/ops.h"

#define HB_INCEPTION_FEATURES 2048
#define HB_INCEPTION_SIZE 299
#define HB_INCEPTION_DEFAULT_BATCH 50

typedef struct hb_inception hb_inception;

/* Loads and folds the weights; batches of up to max_batch images (fewer when the largest
 * activation would not fit one device buffer). NULL and one line in err naming the file and,
 * for a missing or mis-shaped tensor, the tensor. */
hb_inception *hb_inception_load(hb_ctx *ctx, const char *path, int max_batch, char *err,
                                size_t errlen);
void hb_inception_free(hb_inception *net);
/* Multiply-add FLOPs (2 per product) of the convolutions for one image. */
double hb_inception_flops(const hb_inception *net);
int hb_inception_batch(const hb_inception *net);

/* Called after each batch with the images done so far and the total. */
typedef void (*hb_inception_progress)(void *user, long done, long total);
/* features [n][2048] of images [n][c][h][w] in [-1, 1], c = 1 or 3. progress may be NULL. */
void hb_inception_features(hb_inception *net, const float *images, long n, int c, int h, int w,
                           float *features, hb_inception_progress progress, void *user);

#endif
