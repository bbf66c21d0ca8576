/* Training configuration: flat INI files (no sections), `#` or `;` comments, one `key = value`
 * per line, plus command-line overrides `key=value` applied after the file.
 *
 * Key names follow the authors' configuration files (see ../shared/reference/hyperparameters.md)
 * so users of the paper find their way. Every key has a type and a range; anything wrong (an
 * unknown key, a wrong type, trailing junk, a value out of range, a key given twice in one file,
 * a missing required key, a failed cross-key check) is refused before any work starts, with one
 * line in err:
 *     CONFIG: key 'NAME': REASON (expected ...), in FILE line N
 *     CONFIG: override 'key=value': REASON (expected ...)
 *
 * Parsing details: keys and values are trimmed; comments are whole lines starting with `#` or
 * `;`, or the rest of a line after whitespace + `;` or whitespace + `#`. Lines are at most 199
 * characters (libinih's limit). Integers are decimal (no "1.5", no "1e3"); numbers are 32-bit
 * floats (no nan/inf); booleans are true/false/1/0/yes/no (any case). Overrides may repeat a key
 * (the last wins); a file may not. */
#ifndef HB_CONFIG_H
#define HB_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#define HB_CONFIG_STR 192      /* dataset, generator: at most 180 characters (lines <= 199) */
#define HB_CONFIG_MAX_SCHED 16 /* lr_schedule_steps entries */

typedef enum { HB_MODE_SYNTH = 0, HB_MODE_JOINT = 1, HB_MODE_AE = 2, HB_MODE_CLASSIFIER = 3 } hb_mode;
typedef enum { HB_GEN_SNGAN = 0, HB_GEN_DECODER = 1 } hb_gen_kind;
/* the authors' Keras init (Glorot-uniform weights, zero biases) or PyTorch's default */
typedef enum { HB_INIT_SCHEME_GLOROT = 0, HB_INIT_SCHEME_PYTORCH = 1 } hb_init_scheme;

typedef struct {
    hb_mode mode;                  /* required: synth | joint | ae | classifier */
    char dataset[HB_CONFIG_STR];   /* required: data spec, e.g. "fashion-mnist:train" */
    int image_size;                /* 32 | 64 | 128 */
    int channels;                  /* 1 | 3 */
    int ngf_hat;                   /* hat network width (classifier: its first stage's) */
    int ngf_gen;                   /* generator width */
    float gen_factor;              /* generator output scale (tanh * gen_factor), > 0 */
    char generator[HB_CONFIG_STR]; /* frozen generator (safetensors) for mode=joint; "" = none */
    char eval_dataset[HB_CONFIG_STR]; /* classifier: held-out data for accuracy; "" = none */
    hb_gen_kind generator_kind;    /* sngan | decoder */
    int batch_size;                /* 1..4096 */
    long num_training_steps;       /* required, >= 1 */
    int mcmc_steps;                /* Langevin steps per iteration, 0..100000 */
    float epsilon;                 /* residual (Y) Langevin step, > 0 */
    float epsilon_latent;          /* latent (Z) Langevin step, >= 0 */
    float mcmc_temp;               /* energy divided by it, > 0 */
    float max_langevin_norm_res;   /* per-sample clip of the residual drift, >= 0; 0 = none */
    float data_epsilon;            /* noise added to positive samples, >= 0 */
    float lr_ebm;                  /* Adam lr of the hat network (or the classifier), > 0 */
    float lr_gen;                  /* Adam lr of the generator, >= 0 */
    int n_lr_schedule;             /* number of entries in lr_schedule_steps */
    long lr_schedule_steps[HB_CONFIG_MAX_SCHED]; /* strictly increasing, >= 1; unused = 0 */
    float lr_schedule_factor;                    /* (0, 1] */
    float ema_decay;                             /* [0, 1) */
    float max_grad_norm;                         /* >= 0; 0 = no clipping */
    float energy_l2;                             /* >= 0; hat loss + alpha mean H^2; 0 = off */
    float max_energy_gap;                        /* stop when |e_pos - e_neg| > it; 0 = off */
    float gen_loss_factor_coop;                  /* generator MSE scale, >= 0 */
    int persistent_size;                         /* historical bank size, >= 1 */
    int update_latents;                          /* bool: joint sampling also moves Z */
    float tau_res;                               /* residual prior tau_res*sum(y^2), >= 0 */
    float init_scale_latent;                     /* >= 0 */
    float init_scale_res;                        /* >= 0 */
    float loss_factor;                           /* ae MSE scale, > 0 */
    uint64_t seed;                               /* 0 .. 2^63-1 */
    hb_init_scheme init;                         /* glorot | pytorch */
    int log_every;                               /* >= 1 */
    int plot_every;                              /* >= 1 */
    int checkpoint_every;                        /* >= 1 */
    int num_plot;                                /* 1..256 */
} hb_config;

/* Every field at its default (required fields empty/zero); padding and unused bytes zeroed. */
void hb_config_defaults(hb_config *c);

/* Defaults, then the file (path may be NULL: overrides only), then the overrides
 * ("key=value" each), then required keys and hb_config_check. 0, or -1 with one line in err. */
int hb_config_load(const char *path, int noverrides, char *const *overrides, hb_config *out,
                   char *err, size_t errlen);

/* Parses and checks one value (type and range, not cross-key) and stores it.
 * 0, or -1 with "CONFIG: key 'NAME': REASON (expected ...)" in err. */
int hb_config_apply(hb_config *c, const char *key, const char *value, char *err, size_t errlen);

/* Cross-key checks (and the per-key ranges again, for structs filled by hand). */
int hb_config_check(const hb_config *c, char *err, size_t errlen);

/* Writes the resolved config (every key, one per line, same INI syntax, round-trips through
 * hb_config_load) atomically (temp file + fsync + rename). 0, or -1 with one line in err. */
int hb_config_write(const hb_config *c, const char *path, char *err, size_t errlen);

/* base * lr_schedule_factor^(number of lr_schedule_steps <= step) */
float hb_config_lr(const hb_config *c, float base, long step);

const char *hb_mode_name(hb_mode m);
const char *hb_gen_kind_name(hb_gen_kind k);
const char *hb_init_scheme_name(hb_init_scheme s);

#endif
