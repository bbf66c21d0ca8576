/* The Hat EBM's short-run Langevin chains, shared by the trainer and the sampler (and through
 * them by hatebm sample, hatebm ood and the viewer):
 *
 * - conditional (synth, or joint with update_latents off): Y moves given G(Z) (eq. 5);
 * - joint (refinement, retrofit): a Y update (eq. 6), then a Z update through the frozen
 *   generator with the new Y (eq. 7), per step.
 *
 * Each records its steps into a command buffer; the weights stay fixed along a chain, so the
 * graphs are frozen (hb_g_freeze) for its passes and thawed after. */
#ifndef HB_CHAIN_H
#define HB_CHAIN_H

#include "nn/graph.h"

/* RNG streams of a seed's draws. Langevin step k of a chain uses stream k (conditional) or
 * streams 2k and 2k+1 (joint), all below 2^20; the rest come after. */
enum {
    HB_STREAM_Z = 1 << 20, /* the chain's Z ~ N(0, I) */
    HB_STREAM_DATA_NOISE,  /* data_epsilon noise on the positive batch (and the ae's input) */
    HB_STREAM_Y0,          /* Y_0 = init_scale_res * N(0, I) */
    HB_STREAM_BANK_INIT    /* the historical bank's initial Z, plus the slot of the draw */
};

typedef struct {
    hb_graph *hat, *gen; /* Z is the generator's input (hb_g_value(gen, 0, batch)) */
    int batch;
    int row0;            /* the first chain's row in the whole batch: keys its noise */
    hb_tensor y, gz;     /* the residual Y and G(Z), [batch][nch][res][res] */
    hb_tensor scratch;   /* [batch] floats: per-sample norms */
    hb_tensor counter;   /* one float that seeds every draw, with seed */
    uint64_t seed;
    float eps_res, eps_latent; /* epsilon, epsilon_latent */
    float temp;                /* mcmc_temp: the energy is H / temp */
    float max_norm_res;        /* per-sample clip of the residual drift (<= 0: none) */
    float tau_res;             /* prior tau_res * ||y||^2 on the residual (0: none) */
} hb_chain;

/* X = G(Z) + Y into the hat net's input (gz: G(Z)), H(X), and dH/dX into the input's
 * gradient (the energy summed over samples). */
void hb_chain_energy_gradient(hb_cmd *cmd, const hb_chain *ch, hb_tensor gz);

/* Steps first..last-1 of the conditional chain: Y moves given G(Z) in ch->gz. */
void hb_chain_record_conditional(hb_cmd *cmd, const hb_chain *ch, int first, int last);

/* Steps first..last-1 of the joint chain, from the Z in the generator's input; leaves the
 * final G(Z) in ch->gz. */
void hb_chain_record_joint(hb_cmd *cmd, const hb_chain *ch, int first, int last);

#endif
