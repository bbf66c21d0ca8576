/* The evaluation classifier (hb_build_classifier): trained with softmax cross-entropy and
 * Adam (+ weight EMA), one recorded command buffer per step; then used with its EMA weights
 * for accuracy and for the features behind FID ("FID, FMNIST-classifier features"). */
#ifndef HB_CLASSIFIER_H
#define HB_CLASSIFIER_H

#include <stdint.h>

#include "nn/models.h"

typedef struct hb_classifier hb_classifier;

/* For training: fresh weights from seed, batches of `batch`. */
hb_classifier *hb_classifier_new(hb_ctx *ctx, int nch, int width, int batch, uint64_t seed,
                                 float ema_decay);
/* For evaluation: EMA weights written by hb_classifier_save, batches of up to `batch`. NULL
 * and one line in err when the file is not a classifier. */
hb_classifier *hb_classifier_load(hb_ctx *ctx, const char *path, int batch, char *err,
                                  size_t errlen);
void hb_classifier_free(hb_classifier *c);
int hb_classifier_channels(const hb_classifier *c);

/* One Adam step on images [batch][nch][32][32] with labels (0..9); mean loss and accuracy of
 * the batch (before the step) in *loss and *accuracy. */
void hb_classifier_step(hb_classifier *c, const float *images, const int *labels, float lr,
                        float *loss, float *accuracy);
/* Writes the EMA weights (names "c1.weight" ... "out.bias", metadata network=classifier,
 * width, channels) atomically. 0, or -1 + err. */
int hb_classifier_save(hb_classifier *c, const char *path, char *err, size_t errlen);
/* Over n images (any n): predicted classes (pred may be NULL) and/or the penultimate
 * features [n][HB_CLASSIFIER_FEATURES] (features may be NULL). Training weights unless the
 * classifier was loaded, which has only the EMA weights. */
void hb_classifier_run(hb_classifier *c, const float *images, int n, int *pred, float *features);

#endif
