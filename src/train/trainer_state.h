/* The trainer's state, for trainer.c (the algorithm) and checkpoint.c (its files) only. */
#ifndef HB_TRAINER_STATE_H
#define HB_TRAINER_STATE_H

#include "train/optim.h"
#include "train/trainer.h"

/* Slots of the metrics tensor, read back after every iteration. */
enum {
    METRIC_E_POS,       /* mean energy of the data */
    METRIC_E_NEG,       /* mean energy of the samples X */
    METRIC_GEN_LOSS,    /* synth: the generator's loss on the bank batch; ae: its loss */
    METRIC_RES_SQNORM,  /* mean squared L2 norm of the residual Y_K */
    METRIC_GRAD_SQNORM, /* mean squared L2 norm of dH/dx / T at the last chain step */
    METRIC_STATE_SUM,   /* sum of every weight and of X: not finite once one of them is not */
    METRIC_COUNT
};

struct hb_trainer {
    hb_ctx *ctx;
    hb_train_cfg cfg;
    hb_graph *hat, *gen, *enc; /* ae: gen is the decoder and there is no hat */
    hb_optim hat_opt, gen_opt, enc_opt;
    int D;                    /* floats per image */
    int B, row0;              /* this process's chains: rows row0..row0+B-1 of the batch */
    hb_tensor x, y, gz;       /* the chain's X = G(Z) + Y_K, residual Y, G(Z) */
    hb_tensor scratch;        /* per-sample norms */
    hb_tensor z;              /* synth: this iteration's Z (the generator's input is reused) */
    hb_tensor data, noise;    /* positive batch and its data_epsilon noise */
    hb_tensor counter;        /* iteration number (as a float): seeds every draw */
    hb_tensor bank_z, bank_x, bank_idx, bank_xb;
    hb_tensor metrics;        /* METRIC_COUNT floats */
    hb_tensor partials;       /* partial sums of the state sum */
    hb_tensor all_z, all_x;   /* the whole batch's Z and X (one process: z and x themselves) */
    hb_cmd *iter, *chain;
    hb_cmd *update;           /* several processes: the iteration after the gradient sum */
    /* hb_trainer_trajectory: its recording, snapshot buffers and the plan they were made for */
    hb_cmd *traj;
    hb_tensor traj_x, traj_g, traj_y, traj_e;
    int traj_n, traj_S, traj_steps[HB_TRAJ_MAX];
    long iteration;
    uint64_t host_rng;
    int *perm;
};

#endif
