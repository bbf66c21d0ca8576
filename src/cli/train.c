/* hatebm train CONFIG [key=value ...] [--run-dir DIR] | hatebm train --resume RUN_DIR
 *
 * The run directory holds: config.ini (the resolved config), metrics.jsonl (one line per
 * logged step), samples/grid_STEP.png (rows X, G(Z), 5*Y), trajectory.safetensors (the
 * latest sampling trajectory, for hatebm-view --attach), checkpoint.safetensors (everything
 * needed to continue bit for bit), gen.safetensors (synth/ae: the EMA generator or decoder,
 * for joint runs). Files are replaced atomically; a failure never destroys the last good one.
 *
 * Under mpirun each process trains its share of every batch (src/dist/, docs/multi-gpu.md);
 * rank 0, the lead, alone writes the run directory and prints progress. SIGINT and SIGTERM
 * end the run after the current iteration, with a checkpoint (exit 130, 143). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/base.h"
#include "cli/cli.h"
#include "config/config.h"
#include "data/dataset.h"
#include "dist/dist.h"
#include "io/files.h"
#include "io/safetensors.h"
#include "train/grid.h"
#include "train/trainer.h"

#define Y_MAGNIFICATION 5.0f

static int file_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

static void join(char *out, size_t size, const char *dir, const char *name) {
    snprintf(out, size, "%s/%s", dir, name);
}

/* The config stem: configs/fashion_mnist_synth.ini -> fashion_mnist_synth */
static void default_run_dir(const char *config, char *out, size_t size) {
    const char *base = strrchr(config, '/');
    base = base ? base + 1 : config;
    size_t n = strcspn(base, ".");
    snprintf(out, size, "runs/%.*s", (int)n, base);
}

/* Exclusive lock on DIR/.lock for the whole run, so two trainers never write one run
 * directory; the kernel drops it when the process dies, even by SIGKILL. The descriptor, or
 * -1 after printing why not. */
static int lock_run_dir(const char *dir) {
    char path[1100];
    join(path, sizeof path, dir, ".lock");
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        fprintf(stderr, "hatebm: error: cannot create %s: %s; check the run directory's "
                        "permissions\n", path, strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        fprintf(stderr, "hatebm: error: another hatebm train is using %s; wait for it to end or "
                        "choose another --run-dir\n", dir);
        close(fd);
        return -1;
    }
    return fd;
}

/* Temporary files (NAME.tmp-XXXXXX, see hb_atomic_write) that a killed run left in dir. */
static void remove_stale_temps(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char path[1400];
    while ((e = readdir(d))) {
        const char *t = strstr(e->d_name, ".tmp-");
        if (!t || strlen(t) != 11) continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
}

typedef struct {
    const char *path;
    long last_step;
} trim_job;

/* Complete lines of metrics.jsonl up to last_step: a line a kill cut short is dropped. */
static int write_trimmed(FILE *out, void *user) {
    const trim_job *j = user;
    FILE *in = fopen(j->path, "r");
    if (!in) return errno == ENOENT ? 0 : -1;
    char line[4096];
    int ok = 1;
    while (ok && fgets(line, sizeof line, in)) {
        const char *s = strstr(line, "\"step\": ");
        size_t n = strlen(line);
        if (s && n && line[n - 1] == '\n' && strtol(s + 8, NULL, 10) <= j->last_step)
            ok = fputs(line, out) >= 0;
    }
    ok = ok && !ferror(in);
    fclose(in);
    return ok ? 0 : -1;
}

/* On resume, metrics past the checkpoint are dropped so the file reads like one run. */
static int trim_metrics(const char *path, long last_step, char *err, size_t errlen) {
    trim_job j = {path, last_step};
    return hb_atomic_write(path, write_trimmed, &j, err, errlen);
}

/* One training run, from its arguments to its exit. */
typedef struct {
    hb_config cfg;
    int resume;
    char dir[1024], ckpt[1100];
    hb_dataset data;
    int lock; /* the run directory's lock (lock_run_dir), or -1 */
    hb_ctx *ctx;
    hb_trainer *t;
    FILE *metrics;
    hb_batcher *batches;
    int lead;         /* rank 0 (or alone): writes the run directory, prints progress */
    int rows;         /* this process's share of the batch */
    size_t img;       /* floats per data batch (this process's rows) */
    float *x, *g, *y; /* the grid's rows */
    int tty;
    double start, last_log;
    long first, last_good; /* the step the run started at; that of the last checkpoint */
    double gap_scale; /* watch_energy_gap: the largest |e_pos - e_neg| of the warm-up */
    long gap_warned;  /* the step of its last warning, or 0 */
} run;

/* The checkpoint, then the generator; *last_good becomes step once the checkpoint is in. */
static int save_checkpoint(run *r, long step, long *last_good, char *err, size_t errlen) {
    char path[1100];
    join(path, sizeof path, r->dir, "checkpoint.safetensors");
    if (hb_trainer_save(r->t, path, err, errlen) != 0) return -1;
    *last_good = step;
    if (r->cfg.mode == HB_MODE_JOINT) return 0;
    join(path, sizeof path, r->dir, "gen.safetensors");
    return hb_trainer_export_generator(r->t, path, err, errlen);
}

static int save_grid(run *r, long step, char *err, size_t errlen) {
    char path[1100], name[64];
    snprintf(name, sizeof name, "samples/grid_%06ld.png", step);
    join(path, sizeof path, r->dir, name);
    int n = r->cfg.num_plot < r->rows ? r->cfg.num_plot : r->rows;
    hb_trainer_samples(r->t, r->x, r->g, r->y);
    return hb_write_grid(path, r->x, r->g, r->y, n, r->cfg.channels, r->cfg.image_size,
                         Y_MAGNIFICATION, err, errlen);
}

/* trajectory.safetensors, replaced at every plot interval for hatebm-view --attach: a fresh
 * chain with the current weights, snapshots at up to 17 evenly spaced chain steps from 0 to K
 * (fewer for large images: the file stays under TRAJ_BYTES) of the first min(num_plot, rows)
 * chains. Tensors x, g, y [S, n, nch, res, res] (X = G(Z) + Y, G(Z), Y), energy [S, n] (H(X));
 * metadata step (training iteration) and chain_steps (comma-separated). */
#define TRAJ_BYTES (32u << 20)
static int publish_trajectory(run *r, long step, char *err, size_t errlen) {
    const hb_config *c = &r->cfg;
    int n = c->num_plot < r->rows ? c->num_plot : r->rows;
    size_t D = (size_t)c->channels * c->image_size * c->image_size;
    int K = c->mcmc_steps, S = (K < 16 ? K : 16) + 1, steps[17];
    while (S > 2 && (size_t)S * 3 * n * D * sizeof(float) > TRAJ_BYTES) S--;
    char list[17 * 12] = "", buf[32];
    for (int s = 0; s < S; s++) {
        steps[s] = S > 1 ? (int)((long)s * K / (S - 1)) : 0;
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%d", s ? "," : "", steps[s]);
    }
    size_t snap = (size_t)S * n * D;
    float *x = malloc(snap * 4), *g = malloc(snap * 4), *y = malloc(snap * 4);
    float *e = malloc((size_t)S * n * 4);
    hb_trainer_trajectory(r->t, n, S, steps, x, g, y, e);
    int64_t img[5] = {S, n, c->channels, c->image_size, c->image_size}, es[2] = {S, n};
    hb_st_writer *w = hb_st_writer_new();
    hb_st_add(w, "x", 5, img, x);
    hb_st_add(w, "g", 5, img, g);
    hb_st_add(w, "y", 5, img, y);
    hb_st_add(w, "energy", 2, es, e);
    hb_st_meta(w, "format", "hatebm-trajectory-1");
    hb_st_meta(w, "mode", hb_mode_name(c->mode));
    snprintf(buf, sizeof buf, "%ld", step);
    hb_st_meta(w, "step", buf);
    hb_st_meta(w, "chain_steps", list);
    char path[1100];
    join(path, sizeof path, r->dir, "trajectory.safetensors");
    int rc = hb_st_write(w, path, err, errlen);
    hb_st_writer_free(w);
    free(x), free(g), free(y), free(e);
    return rc;
}

static void progress(const hb_config *c, long step, double rate, const hb_train_metrics *m,
                     int tty) {
    long left = c->num_training_steps - step;
    double eta = rate > 0 ? left / rate : 0;
    char what[160];
    if (c->mode == HB_MODE_AE)
        snprintf(what, sizeof what, "ae loss %.4g", m->gen_loss);
    else
        snprintf(what, sizeof what, "ebm loss %.4g  energy gap %.4g", m->ebm_loss,
                 m->e_pos - m->e_neg);
    if (tty) {
        int width = 24, done = (int)(width * (double)step / c->num_training_steps);
        fprintf(stderr, "\r[%.*s%.*s] %ld/%ld  %.2f it/s  ETA %ld:%02ld  %s   ", done,
                "########################", width - done, "........................", step,
                c->num_training_steps, rate, (long)eta / 60, (long)eta % 60, what);
    } else {
        fprintf(stderr, "step %ld/%ld  %.2f it/s  ETA %ld:%02ld  %s\n", step,
                c->num_training_steps, rate, (long)eta / 60, (long)eta % 60, what);
    }
    fflush(stderr);
}

static int usage(void) {
    fprintf(stderr, "hatebm: error: usage: hatebm train CONFIG [key=value ...] [--run-dir DIR] | "
                    "hatebm train --resume RUN_DIR [key=value ...]\n");
    return 2;
}

typedef struct {
    int argc;
    char **argv;
    const char *config, *resume, *run_dir;
    char **overrides;
    int noverrides;
} train_args;

/* 0, or the usage's exit code. */
static int parse_args(int argc, char **argv, train_args *a) {
    *a = (train_args){.argc = argc, .argv = argv,
                      .overrides = calloc((size_t)argc + 1, sizeof *a->overrides)};
    int ok = 1;
    for (int i = 0; i < argc && ok; i++) {
        if (strcmp(argv[i], "--resume") == 0 && i + 1 < argc) a->resume = argv[++i];
        else if (strcmp(argv[i], "--run-dir") == 0 && i + 1 < argc) a->run_dir = argv[++i];
        else if (argv[i][0] == '-') ok = 0;
        else if (strchr(argv[i], '=')) a->overrides[a->noverrides++] = argv[i];
        else if (!a->config) a->config = argv[i];
        else ok = 0;
    }
    if (ok && !!a->config != !!a->resume) return 0;
    free(a->overrides);
    return usage();
}

/* The run directory and the resolved config (a resumed run's own config.ini, then the
 * overrides). 0, or the exit code. */
static int resolve_config(train_args *a, run *r) {
    char path[1100], err[1024];
    const char *config = a->config;
    r->resume = a->resume != NULL;
    if (a->resume) snprintf(r->dir, sizeof r->dir, "%s", a->resume);
    else if (a->run_dir) snprintf(r->dir, sizeof r->dir, "%s", a->run_dir);
    else default_run_dir(a->config, r->dir, sizeof r->dir);
    if (a->resume) {
        join(path, sizeof path, r->dir, "config.ini");
        if (!file_exists(path)) {
            fprintf(stderr, "hatebm: error: %s has no config.ini: not a run directory\n", r->dir);
            free(a->overrides);
            return 2;
        }
        config = path;
    }
    int rc = hb_config_load(config, a->noverrides, a->overrides, &r->cfg, err, sizeof err);
    free(a->overrides);
    if (rc != 0) {
        fprintf(stderr, "hatebm: error: %s\n", err);
        return 2;
    }
    return 0;
}

/* A classifier run: a fresh run directory, then hatebm's classifier trainer. */
static int train_classifier(const char *device, const run *r) {
    char path[1100], err[1024];
    if (r->resume) {
        fprintf(stderr, "hatebm: error: a classifier run has no checkpoints (it takes minutes): "
                        "train it again into a new --run-dir\n");
        return 2;
    }
    join(path, sizeof path, r->dir, "classifier.safetensors");
    if (file_exists(path)) {
        fprintf(stderr, "hatebm: error: %s already holds a trained classifier; choose another "
                        "--run-dir\n", r->dir);
        return 2;
    }
    if (hb_mkdir_p(r->dir) != 0) {
        fprintf(stderr, "hatebm: error: cannot create %s: %s\n", r->dir, strerror(errno));
        return 2;
    }
    join(path, sizeof path, r->dir, "config.ini");
    if (hb_config_write(&r->cfg, path, err, sizeof err) != 0) {
        fprintf(stderr, "hatebm: error: %s\n", err);
        return 2;
    }
    return cli_train_classifier(device, &r->cfg, r->dir);
}

/* Everything is checked before any work starts: a new run must not overwrite one, a joint
 * run needs its generator; then the data set, the run directory (samples/ too) and its lock
 * (the lead's). 0, or the exit code. */
static int open_run(run *r) {
    char path[1100], err[1024];
    join(r->ckpt, sizeof r->ckpt, r->dir, "checkpoint.safetensors");
    if (!r->resume && file_exists(r->ckpt)) {
        fprintf(stderr, "hatebm: error: %s already holds a run; continue it with --resume %s or "
                        "choose another --run-dir\n", r->dir, r->dir);
        return 2;
    }
    if (r->cfg.mode == HB_MODE_JOINT && !file_exists(r->cfg.generator)) {
        fprintf(stderr, "hatebm: error: generator '%s' not found: train one first (mode synth or "
                        "ae writes RUN_DIR/gen.safetensors) or set generator=PATH\n",
                r->cfg.generator);
        return 2;
    }
    const hb_config *c = &r->cfg;
    if (hb_dataset_load(c->dataset, c->image_size, c->channels, &r->data, err, sizeof err) != 0) {
        fprintf(stderr, "hatebm: error: %s\n", err);
        return 2;
    }
    if (!r->lead) return 0; /* the lead alone writes the run directory */
    join(path, sizeof path, r->dir, "samples");
    if (hb_mkdir_p(path) != 0) {
        fprintf(stderr, "hatebm: error: cannot create %s: %s\n", path, strerror(errno));
        return 2;
    }
    r->lock = lock_run_dir(r->dir);
    if (r->lock < 0) return 2;
    remove_stale_temps(r->dir);
    remove_stale_temps(path);
    return 0;
}

/* The device and the trainer, once the config is known to fit its memory. */
static int start_trainer(const char *device, run *r) {
    char err[1024];
    hb_ctx_opts o = {.device = device, .validate = -1, .quiet = 1};
    r->ctx = hb_ctx_create(&o);
    hb_train_cfg tc = hb_train_cfg_from_config(&r->cfg);
    tc.procs = hb_dist_size(), tc.rank = hb_dist_rank();
    const char *source;
    size_t need = hb_trainer_plan_bytes(r->ctx, &tc), budget = hb_device_budget(r->ctx, &source);
    if (need > budget) {
        fprintf(stderr, "hatebm: error: this config needs about %.1f GiB of device memory but %s "
                        "has %.1f GiB (%s); lower batch_size, persistent_size, ngf_hat or "
                        "ngf_gen\n", need / 1073741824.0, hb_ctx_device_name(r->ctx),
                budget / 1073741824.0, source);
        return 2;
    }
    r->t = hb_trainer_new(r->ctx, &tc, r->cfg.generator, err, sizeof err);
    if (!r->t) {
        fprintf(stderr, "hatebm: error: %s\n", err);
        return 2;
    }
    return 0;
}

/* A resumed run continues from its checkpoint, which must hold finite values. A run killed
 * before its first checkpoint starts again from step 0. */
static int resume_run(run *r) {
    char err[1024], what[200];
    if (file_exists(r->ckpt) && hb_trainer_load(r->t, r->ckpt, err, sizeof err) != 0) {
        fprintf(stderr, "hatebm: error: %s; the checkpoint does not fit this config or is "
                        "damaged: drop overrides that change the networks, or train again into a "
                        "new --run-dir\n", err);
        return 2;
    }
    if (hb_trainer_check_finite(r->t, what, sizeof what) != 0) {
        fprintf(stderr, "hatebm: error: step %ld: %s in %s is not finite (NaN or Inf); stopped "
                        "before training, the file is untouched: resume from an earlier copy of "
                        "the run or train again\n", hb_trainer_iteration(r->t), what, r->ckpt);
        return 3;
    }
    return 0;
}

/* The run is accepted: only now are its config and metrics touched. Opens metrics.jsonl and
 * the data thread. */
static int accept_run(run *r) {
    char path[1100], err[1024];
    const hb_config *c = &r->cfg;
    r->rows = c->batch_size / hb_dist_size();
    r->img = (size_t)r->rows * c->channels * c->image_size * c->image_size;
    r->batches = hb_batcher_new_rows(&r->data, c->batch_size, hb_dist_rank() * r->rows, r->rows,
                                     c->seed, (uint64_t)hb_trainer_iteration(r->t));
    if (!r->batches) {
        fprintf(stderr, "hatebm: error: cannot start the data thread\n");
        return 2;
    }
    r->x = malloc(r->img * 4), r->g = malloc(r->img * 4), r->y = malloc(r->img * 4);
    if (!r->lead) return 0;
    join(path, sizeof path, r->dir, "config.ini");
    if (hb_config_write(&r->cfg, path, err, sizeof err) != 0) {
        fprintf(stderr, "hatebm: error: %s\n", err);
        return 2;
    }
    join(path, sizeof path, r->dir, "metrics.jsonl");
    if (r->resume && trim_metrics(path, hb_trainer_iteration(r->t), err, sizeof err) != 0) {
        fprintf(stderr, "hatebm: error: %s\n", err);
        return 2;
    }
    if (hb_dist_size() == 1) hb_ctx_announce(r->ctx);
    if (r->resume)
        fprintf(stderr, "hatebm: resuming %s at step %ld%s\n", r->dir, hb_trainer_iteration(r->t),
                file_exists(r->ckpt) ? "" : " (it stopped before its first checkpoint)");
    r->metrics = fopen(path, "a");
    if (!r->metrics) {
        fprintf(stderr, "hatebm: error: cannot open %s: %s\n", path, strerror(errno));
        return 2;
    }
    return 0;
}

/* The name of the first metric of m that is not finite, or NULL. */
static const char *nonfinite_metric(const run *r, const hb_train_metrics *m) {
    return !isfinite(m->e_pos) ? "the mean energy of the data"
           : !isfinite(m->e_neg) ? "the mean energy of the samples"
           : !isfinite(m->gen_loss) ? (r->cfg.mode == HB_MODE_AE ? "the autoencoder loss"
                                                                 : "the generator loss")
           : !isfinite(m->res_norm) ? "the residual Y"
           : !isfinite(m->state_sum) ? "a weight or a sample" : NULL;
}

/* The energy gap |e_pos - e_neg| running away: the hat net separates data from samples faster
 * than the chains follow (docs/stability.md). Above max_energy_gap the run stops (exit 3, the
 * last checkpoint kept). Otherwise one warning per log interval at most when the gap exceeds
 * GAP_FACTOR times its scale: the largest gap of this invocation's first GAP_WARMUP log
 * intervals, at least 1 (healthy runs at mcmc_temp 1e-8 stay within a few units). */
#define GAP_FACTOR 10.0
#define GAP_WARMUP 10
static int watch_energy_gap(run *r, long step, const hb_train_metrics *m) {
    const hb_config *c = &r->cfg;
    if (c->mode == HB_MODE_AE) return 0;
    double gap = fabs((double)m->e_pos - m->e_neg);
    if (c->max_energy_gap > 0 && gap > c->max_energy_gap) {
        if (r->lead) /* every process has the same metrics, and stops alike */
            fprintf(stderr, "%shatebm: error: step %ld: the energy gap |e_pos - e_neg| = %.4g "
                            "(e_pos %.4g, e_neg %.4g) is over max_energy_gap %g: the energies "
                            "ran away; stopped. The last good checkpoint (step %ld) is in %s; "
                            "see docs/stability.md\n", r->tty ? "\n" : "", step, gap, m->e_pos,
                    m->e_neg, c->max_energy_gap, r->last_good, r->dir);
        return 3;
    }
    if (step - r->first <= (long)GAP_WARMUP * c->log_every) {
        r->gap_scale = fmax(r->gap_scale, gap);
        return 0;
    }
    double limit = GAP_FACTOR * fmax(1.0, r->gap_scale);
    if (r->lead && gap > limit && (!r->gap_warned || step - r->gap_warned >= c->log_every)) {
        fprintf(stderr, "%shatebm: warning: step %ld: the energy gap |e_pos - e_neg| = %.4g is "
                        "over %g, %g times its early scale: the energies may be running away "
                        "(max_energy_gap stops a run; see docs/stability.md)\n",
                r->tty ? "\n" : "", step, gap, limit, GAP_FACTOR);
        r->gap_warned = step;
    }
    return 0;
}

/* A step whose outcome is not finite stops the run, naming the first tensor at fault; so does
 * an energy gap over max_energy_gap. */
static int check_step(run *r, long step, const hb_train_metrics *m) {
    char what[200];
    const char *bad = nonfinite_metric(r, m);
    if (!bad) return watch_energy_gap(r, step, m);
    if (!r->lead) return 3; /* every process has the same metrics */
    int bad_state = hb_trainer_check_finite(r->t, what, sizeof what) != 0;
    fprintf(stderr, "%shatebm: error: step %ld: %s is not finite (NaN or Inf)%s%s%s; "
                    "stopped. The last good checkpoint (step %ld) is in %s; lower the "
                    "learning rates or epsilon and --resume\n", r->tty ? "\n" : "", step,
            bad, bad_state ? ", nor is " : "", bad_state ? what : "",
            bad_state ? " (the first such tensor)" : "", r->last_good, r->dir);
    return 3;
}

/* This process stops alone (it could not write metrics.jsonl, say): with others, they are
 * brought down too, or they would wait for it in their next collective. */
static int stop_alone(int rc) {
    if (hb_dist_size() > 1) hb_dist_abort(rc);
    return rc;
}

static int append_metrics(run *r, long step, const hb_train_metrics *m, double rate) {
    fprintf(r->metrics, "{\"step\": %ld, \"ebm_loss\": %.9g, \"gen_loss\": %.9g, \"e_pos\": "
                        "%.9g, \"e_neg\": %.9g, \"res_norm\": %.9g, \"langevin_grad_norm\": "
                        "%.9g, \"it_per_s\": %.4g}\n",
            step, m->ebm_loss, m->gen_loss, m->e_pos, m->e_neg, m->res_norm, m->grad_norm, rate);
    if (fflush(r->metrics) == 0 && !ferror(r->metrics)) return 0;
    fprintf(stderr, "%shatebm: error: cannot append to %s/metrics.jsonl: %s; the last "
                    "checkpoint (step %ld) is intact: free space and --resume %s\n",
            r->tty ? "\n" : "", r->dir, strerror(errno), r->last_good, r->dir);
    return 2;
}

/* The checkpoint of step, after the state it saves is found finite (the lead's work). */
static int write_checkpoint(run *r, long step) {
    char err[1024], what[200];
    if (hb_trainer_check_finite(r->t, what, sizeof what) != 0) {
        fprintf(stderr, "%shatebm: error: step %ld: %s is not finite (NaN or Inf); "
                        "stopped without saving. The last good checkpoint (step %ld) is "
                        "in %s; lower the learning rates or epsilon and --resume\n",
                r->tty ? "\n" : "", step, what, r->last_good, r->dir);
        return 3;
    }
    if (save_checkpoint(r, step, &r->last_good, err, sizeof err) != 0) {
        fprintf(stderr, "%shatebm: error: %s; the checkpoint of step %ld is intact: free "
                        "space or fix permissions and --resume %s\n", r->tty ? "\n" : "",
                err, r->last_good, r->dir);
        return 2;
    }
    return 0;
}

/* The lead writes the checkpoint; then every process compares its weights and bank with the
 * lead's, which the summed gradients keep identical (unless a process went wrong). */
static int checkpoint(run *r, long step) {
    int rc = hb_dist_agree(r->lead ? write_checkpoint(r, step) : 0);
    if (rc != 0 || hb_dist_size() == 1) return rc;
    int bad = hb_dist_first_differing(hb_trainer_checksum(r->t));
    if (bad < 0) return 0;
    if (r->lead)
        fprintf(stderr, "%shatebm: error: step %ld: process %d's weights or bank differ from "
                        "process 0's: the processes diverged (devices or drivers that compute "
                        "differently?); stopped. The checkpoint of step %ld is process 0's\n",
                r->tty ? "\n" : "", step, bad, step);
    return 1;
}

/* SIGINT, SIGTERM: the signal, read once per iteration. A second one ends the run at once. */
static volatile sig_atomic_t stop_signal;
static void on_stop_signal(int sig) {
    if (stop_signal) signal(sig, SIG_DFL), raise(sig);
    stop_signal = sig;
}

static void catch_stop_signals(void) {
    struct sigaction sa = {.sa_handler = on_stop_signal, .sa_flags = SA_RESTART};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* A stop request to any process ends every one after this iteration, with a checkpoint
 * (already written when one was due). 0 to go on, else the exit code. */
static int honour_stop(run *r, long step, int saved) {
    int sig = hb_dist_agree(stop_signal);
    if (!sig) return 0;
    int rc = saved ? 0 : checkpoint(r, step);
    if (rc != 0) return rc;
    if (r->lead)
        fprintf(stderr, "%shatebm: stopped by %s at step %ld; checkpoint written: continue with "
                        "--resume %s\n", r->tty ? "\n" : "", sig == SIGINT ? "SIGINT" : "SIGTERM",
                step, r->dir);
    return 128 + sig;
}

/* The lead's outputs of a step: metrics, progress, pictures. 0, or 2 when metrics.jsonl cannot
 * be written. */
static int report(run *r, long step, const hb_train_metrics *m, int last) {
    const hb_config *c = &r->cfg;
    char err[1024];
    double rate = (step - r->first) / (hb_now_s() - r->start);
    if ((step % c->log_every == 0 || last) && append_metrics(r, step, m, rate) != 0) return 2;
    if (r->tty || hb_now_s() - r->last_log > 30 || step % c->log_every == 0) {
        if (r->tty || step % c->log_every == 0) progress(c, step, rate, m, r->tty);
        r->last_log = hb_now_s();
    }
    if ((step % c->plot_every == 0 || last) &&
        (save_grid(r, step, err, sizeof err) != 0 ||
         (c->mode != HB_MODE_AE && publish_trajectory(r, step, err, sizeof err) != 0)))
        fprintf(stderr, "%shatebm: warning: %s\n", r->tty ? "\n" : "", err);
    return 0;
}

/* One iteration and what is due after it: metrics, progress, pictures, checkpoint. 0 to go
 * on, else the exit code. */
static int train_step(run *r) {
    const hb_config *c = &r->cfg;
    long step = hb_trainer_iteration(r->t);
    const float *batch = hb_batcher_next(r->batches);
    long bad_pixel = hb_first_nonfinite(batch, r->img);
    if (bad_pixel >= 0) { /* the loaders refuse such data; this guards the copy in memory */
        fprintf(stderr, "%shatebm: error: step %ld: the data batch (image %ld of it) is not "
                        "finite (NaN or Inf); stopped before the step. The last good "
                        "checkpoint (step %ld) is in %s; check the data set and --resume\n",
                r->tty ? "\n" : "", step + 1, bad_pixel / (long)(r->img / r->rows),
                r->last_good, r->dir);
        return stop_alone(3);
    }
    hb_train_metrics m;
    hb_trainer_step(r->t, batch, hb_config_lr(c, c->lr_ebm, step),
                    hb_config_lr(c, c->lr_gen, step), &m);
    step++;
    if (check_step(r, step, &m) != 0) return 3;
    int last = step == c->num_training_steps;
    if (r->lead && report(r, step, &m, last) != 0) return stop_alone(2);
    int saved = step % c->checkpoint_every == 0 || last;
    int rc = saved ? checkpoint(r, step) : 0;
    return rc ? rc : honour_stop(r, step, saved);
}

/* Iterations until num_training_steps, then the closing line. */
static int train_loop(run *r) {
    const hb_config *c = &r->cfg;
    r->tty = r->lead && isatty(2);
    r->start = r->last_log = hb_now_s();
    catch_stop_signals();
    r->first = r->last_good = hb_trainer_iteration(r->t);
    int rc = 0;
    while (rc == 0 && hb_trainer_iteration(r->t) < c->num_training_steps) rc = train_step(r);
    if (r->tty) fputc('\n', stderr);
    if (!r->lead) return rc;
    if (rc == 0 && r->first >= c->num_training_steps)
        fprintf(stderr, "hatebm: %s is already at step %ld (num_training_steps %ld); raise it "
                        "with num_training_steps=N to train on\n", r->dir, r->first,
                c->num_training_steps);
    else if (rc == 0)
        fprintf(stderr, "hatebm: trained %ld steps in %.1f min; run directory %s\n",
                c->num_training_steps - r->first, (hb_now_s() - r->start) / 60, r->dir);
    if (rc == 0 && hb_dist_size() > 1 && c->num_training_steps > r->first)
        fprintf(stderr, "hatebm: process 0 spent %.1f ms per iteration in collectives (gradient "
                        "sums, sample gathers, waiting for the others)\n",
                1e3 * hb_dist_comm_s() / (double)(c->num_training_steps - r->first));
    return rc;
}

/* Releases whatever the run holds. */
static int finish(run *r, int rc) {
    if (r->metrics) fclose(r->metrics);
    if (r->lock >= 0) close(r->lock);
    hb_batcher_free(r->batches);
    hb_trainer_free(r->t);
    /* with HATEBM_VALIDATE=1 the tests need any validation message to fail the run */
    if (r->ctx && hb_validation_messages(r->ctx) && rc == 0) {
        fprintf(stderr, "hatebm: error: the Vulkan validation layer reported %u message(s)\n",
                hb_validation_messages(r->ctx));
        rc = 1;
    }
    hb_ctx_destroy(r->ctx);
    hb_dataset_free(&r->data);
    free(r->x), free(r->g), free(r->y);
    return rc;
}

/* FNV-1a of a file's bytes (0 when it cannot be read: it then differs from a readable one). */
static uint64_t file_hash(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    uint64_t h = HB_HASH_INIT;
    unsigned char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) h = hb_hash_bytes(h, buf, n);
    fclose(f);
    return h;
}

/* The resolved config as config.ini would hold it. */
static uint64_t config_hash(const hb_config *c) {
    char path[64], err[1024];
    snprintf(path, sizeof path, "/tmp/hatebm-config-%ld.ini", (long)getpid());
    uint64_t h = hb_config_write(c, path, err, sizeof err) == 0 ? file_hash(path) : 0;
    unlink(path);
    return h;
}

/* The data set's shape and 64 evenly spaced images of it: enough to tell two sets apart. */
static uint64_t data_hash(const hb_dataset *d) {
    int dims[4] = {d->n, d->c, d->h, d->w};
    uint64_t h = hb_hash_bytes(HB_HASH_INIT, dims, sizeof dims);
    size_t img = (size_t)d->c * d->h * d->w;
    for (int k = 0; k < 64 && d->n > 0; k++)
        h = hb_hash_bytes(h, d->pixels + (size_t)((long)k * d->n / 64) * img, img * sizeof(float));
    return h;
}

/* Processes of one run must agree on what they train: the resolved config, the data set and
 * the binary are compared with the lead's. 0, or 2 after one line. */
static int same_inputs(run *r) {
    if (hb_dist_size() == 1) return 0;
    static const char *what[3] = {"resolved config", "data set", "hatebm binary"};
    uint64_t h[3] = {config_hash(&r->cfg), data_hash(&r->data), file_hash("/proc/self/exe")};
    for (int i = 0; i < 3; i++) {
        int bad = hb_dist_first_differing(h[i]);
        if (bad < 0) continue;
        if (r->lead)
            fprintf(stderr, "hatebm: error: process %d's %s differs from process 0's: every "
                            "process must run the same hatebm on the same config and data\n",
                    bad, what[i]);
        return 2;
    }
    return 0;
}

/* Under mpirun, one line per process: where it runs (cli_process_device chose the device). */
static void announce_process(const run *r, const char *device) {
    if (hb_dist_size() == 1) return;
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    int local = hb_dist_local_size(), index[1], ndevices = hb_best_devices(index, 1);
    fprintf(stderr, "hatebm: process %d of %d (%s, %d of %d there): device %s, %s%s\n",
            hb_dist_rank(), hb_dist_size(), host, hb_dist_local_rank(), local,
            device ? device : "default", hb_ctx_device_name(r->ctx),
            !getenv("HATEBM_DEVICE") && ndevices < local
                ? " (fewer devices than processes here: they share)" : "");
}

/* Everything before the first iteration; under mpirun every process agrees on the outcome
 * (the lead alone prints a refusal they all share). 0, or the exit code. */
static int start_run(const char *device, train_args *a, run *r) {
    hb_dist_quiet();
    int rc = parse_args(a->argc, a->argv, a);
    if (rc == 0) rc = resolve_config(a, r);
    if (rc == 0 && r->cfg.mode == HB_MODE_CLASSIFIER && hb_dist_size() > 1) {
        fprintf(stderr, "hatebm: error: a classifier run trains in one process: start it "
                        "without mpirun\n");
        rc = 2;
    }
    if (rc == 0 && r->cfg.mode != HB_MODE_CLASSIFIER) rc = open_run(r);
    rc = hb_dist_agree_quietly(rc);
    if (rc != 0 || r->cfg.mode == HB_MODE_CLASSIFIER) return rc;
    rc = same_inputs(r);
    if (rc != 0) return rc;
    hb_dist_quiet();
    rc = start_trainer(device, r);
    if (rc == 0 && r->resume) rc = resume_run(r);
    rc = hb_dist_agree_quietly(rc);
    if (rc != 0) return rc;
    announce_process(r, device);
    return hb_dist_agree(accept_run(r));
}

int cli_train(const char *device, int argc, char **argv) {
    train_args a = {.argc = argc, .argv = argv};
    run r = {.lock = -1, .lead = hb_dist_rank() == 0};
    int rc = start_run(device, &a, &r);
    if (rc == 0 && r.cfg.mode == HB_MODE_CLASSIFIER) return train_classifier(device, &r);
    if (rc == 0) rc = train_loop(&r);
    return finish(&r, rc);
}
