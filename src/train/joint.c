/* Alternating Y / Z Langevin chain of the joint Hat EBM. */
#include "train/joint.h"

/* x = G(z) + y; H(x); dH/dx into the hat net's input gradient (energy per sample summed) */
static void energy_gradient(hb_cmd *cmd, hb_graph *hat, hb_graph *gen, hb_tensor y, int B) {
    hb_add(cmd, hb_g_value(hat, 0, B), hb_g_value(gen, gen->output, B), y);
    hb_g_forward(hat, cmd, B);
    hb_fill(cmd, hb_g_grad(hat, hat->output, B), 1.0f);
    hb_g_backward(hat, cmd, B, 0, 1);
}

void hb_joint_record_chain(hb_cmd *cmd, hb_graph *hat, hb_graph *gen, hb_tensor y,
                           hb_tensor scratch, hb_tensor counter, int B, const hb_joint_cfg *c) {
    hb_tensor z = hb_g_value(gen, 0, B);
    int nz = (int)hb_g_size(gen, 0), D = (int)hb_g_size(hat, 0);
    hb_langevin_cfg ly = {.eps = c->eps_res, .grad_scale = 1.0f / c->temp,
                          .max_norm = c->max_norm_res, .tau = c->tau_res, .seed = c->seed};
    hb_langevin_cfg lz = {.eps = c->eps_latent, .grad_scale = 1.0f / c->temp, .seed = c->seed};
    hb_g_forward(gen, cmd, B);
    for (int k = 0; k < c->steps; k++) {
        /* eq. 6: Y given Z */
        energy_gradient(cmd, hat, gen, y, B);
        ly.stream = 2u * (uint32_t)(c->first + k);
        hb_langevin_step(cmd, y, hb_g_grad(hat, 0, B), scratch, counter, B, D, &ly);
        /* eq. 7: Z given the new Y, the gradient taken through the generator */
        energy_gradient(cmd, hat, gen, y, B);
        hb_cmd_copy(cmd, hb_g_grad(gen, gen->output, B), hb_g_grad(hat, 0, B));
        hb_g_backward(gen, cmd, B, 0, 1);
        lz.stream = 2u * (uint32_t)(c->first + k) + 1u;
        hb_langevin_step(cmd, z, hb_g_grad(gen, 0, B), scratch, counter, B, nz, &lz);
        hb_g_forward(gen, cmd, B);
    }
    hb_add(cmd, hb_g_value(hat, 0, B), hb_g_value(gen, gen->output, B), y);
}
