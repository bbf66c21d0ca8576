/* Conditional and joint Langevin chains of the Hat EBM. */
#include "train/chain.h"

void hb_chain_energy_gradient(hb_cmd *cmd, const hb_chain *ch, hb_tensor gz) {
    int B = ch->batch;
    hb_add(cmd, hb_g_value(ch->hat, 0, B), gz, ch->y);
    hb_g_forward(ch->hat, cmd, B);
    hb_fill(cmd, hb_g_grad(ch->hat, ch->hat->output, B), 1.0f);
    hb_g_backward(ch->hat, cmd, B, 0, 1);
}

static hb_langevin_cfg residual_step(const hb_chain *ch) {
    return (hb_langevin_cfg){.eps = ch->eps_res, .grad_scale = 1.0f / ch->temp,
                             .max_norm = ch->max_norm_res, .tau = ch->tau_res, .seed = ch->seed};
}

void hb_chain_record_conditional(hb_cmd *cmd, const hb_chain *ch, int first, int last) {
    int B = ch->batch, D = (int)hb_g_size(ch->hat, 0);
    hb_langevin_cfg ly = residual_step(ch);
    ly.first = (uint32_t)(ch->row0 * D);
    hb_g_freeze(ch->hat, cmd);
    for (int k = first; k < last; k++) {
        hb_chain_energy_gradient(cmd, ch, ch->gz);
        ly.stream = (uint32_t)k;
        hb_langevin_step(cmd, ch->y, hb_g_grad(ch->hat, 0, B), ch->scratch, ch->counter, B, D,
                         &ly);
    }
    hb_g_thaw(ch->hat);
}

void hb_chain_record_joint(hb_cmd *cmd, const hb_chain *ch, int first, int last) {
    hb_graph *hat = ch->hat, *gen = ch->gen;
    int B = ch->batch, D = (int)hb_g_size(hat, 0), nz = (int)hb_g_size(gen, 0);
    hb_tensor z = hb_g_value(gen, 0, B), gz = hb_g_value(gen, gen->output, B);
    hb_langevin_cfg ly = residual_step(ch);
    ly.first = (uint32_t)(ch->row0 * D);
    hb_langevin_cfg lz = {.eps = ch->eps_latent, .grad_scale = 1.0f / ch->temp, .seed = ch->seed,
                          .first = (uint32_t)(ch->row0 * nz)};
    hb_g_freeze(hat, cmd);
    hb_g_freeze(gen, cmd);
    hb_g_forward(gen, cmd, B);
    for (int k = first; k < last; k++) {
        /* eq. 6: Y given Z */
        hb_chain_energy_gradient(cmd, ch, gz);
        ly.stream = 2u * (uint32_t)k;
        hb_langevin_step(cmd, ch->y, hb_g_grad(hat, 0, B), ch->scratch, ch->counter, B, D, &ly);
        /* eq. 7: Z given the new Y, the gradient taken through the generator */
        hb_chain_energy_gradient(cmd, ch, gz);
        hb_cmd_copy(cmd, hb_g_grad(gen, gen->output, B), hb_g_grad(hat, 0, B));
        hb_g_backward(gen, cmd, B, 0, 1);
        lz.stream = 2u * (uint32_t)k + 1u;
        hb_langevin_step(cmd, z, hb_g_grad(gen, 0, B), ch->scratch, ch->counter, B, nz, &lz);
        hb_g_forward(gen, cmd, B);
    }
    hb_cmd_copy(cmd, ch->gz, gz);
    hb_g_thaw(hat);
    hb_g_thaw(gen);
}
