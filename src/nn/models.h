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

/* "" when (res, ngf) is a supported combination, else why not (for one-line errors). */
const char *hb_model_check(int res, int nch, int ngf);

#endif
