/* The networks of the paper (SN-GAN family; ../shared/reference/hyperparameters.md), built as
 * graphs whose parameter names match the PyTorch modules in bench/hatebm_torch.py. */
#ifndef HB_MODELS_H
#define HB_MODELS_H

#include "nn/graph.h"

#define HB_NZ 128 /* generator latent size */

/* Hat network H(x) -> energy [N][1] (ebm_sngan without spectral norm), res 32, 64 or 128. */
hb_graph *hb_build_hat(hb_ctx *ctx, int res, int nch, int ngf);
/* SN-GAN generator z [N][128] -> x [N][nch][res][res], tanh times factor. */
hb_graph *hb_build_gen(hb_ctx *ctx, int res, int nch, int ngf, float factor);
/* Retrofit pair at 32x32: decoder z [N][1][16][16] -> x; encoder x -> z on the sphere. */
hb_graph *hb_build_decoder(hb_ctx *ctx, int nch, int ngf, float factor);
hb_graph *hb_build_encoder(hb_ctx *ctx, int nch, int ngf);

/* Image classifier for evaluation (FID features), 32x32 in: conv3x3-relu-avgpool at `width`,
 * then two stages of conv3x3-relu-conv3x3-relu-avgpool at 2 and 4 width (down to 4x4),
 * flattened, fc to HB_CLASSIFIER_FEATURES with relu (the features: value id in *features),
 * linear to the classes (the logits, its output). */
#define HB_CLASSIFIER_FEATURES 128
#define HB_CLASSIFIER_CLASSES 10
hb_graph *hb_build_classifier(hb_ctx *ctx, int nch, int width, int *features);
/* "" when (res, ngf) is a supported combination, else why not (for one-line errors). */
const char *hb_model_check(int res, int nch, int ngf);

#endif
