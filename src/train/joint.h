/* Joint Hat EBM sampling (Section 3.2, equations 6 and 7): alternating Langevin updates of the
 * residual Y and of the latent Z through a frozen generator, for the refinement and retrofit
 * experiments. The whole chain is recorded into one command buffer. */
#ifndef HB_JOINT_H
#define HB_JOINT_H

#include "nn/graph.h"

typedef struct {
    int steps;
    float eps_res, eps_latent; /* epsilon, epsilon_latent */
    float temp;                /* mcmc_temp: the energy is H / temp */
    float max_norm_res;        /* per-sample clip of the residual drift (<= 0: none) */
    float tau_res;             /* prior tau_res * ||y||^2 on the residual (0: none) */
    uint64_t seed;
    int first; /* index of the first step, for a chain recorded in pieces (0: whole chain) */
} hb_joint_cfg;

/* Records K steps, each a Y update (eq. 6) then a Z update (eq. 7) with the new Y. Z lives in
 * the generator's input (hb_g_value(gen, 0, B)), Y in y [B][D]; the caller sets them first
 * (Z ~ N(0, I), Y = 0). Leaves X = G(Z_K) + Y_K in the hat net's input and G(Z_K) in the
 * generator's output. scratch: [B] floats. Step k draws from streams 2k and 2k+1 of `counter`
 * (k counted from cfg->first). */
void hb_joint_record_chain(hb_cmd *cmd, hb_graph *hat, hb_graph *gen, hb_tensor y,
                           hb_tensor scratch, hb_tensor counter, int B, const hb_joint_cfg *cfg);

#endif
