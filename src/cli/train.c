/* hatebm train CONFIG [key=value ...] [--run-dir DIR] | hatebm train --resume RUN_DIR
 *
 * The run directory holds: config.ini (the resolved config), metrics.jsonl (one line per
 * logged step), samples/grid_STEP.png (rows X, G(Z), 5*Y), trajectory.safetensors (the
 * latest sampling trajectory, for hatebm-view --attach), checkpoint.safetensors (everything
 * needed to continue bit for bit), gen.safetensors (synth/ae: the EMA generator or decoder,
 * for joint runs). Files are replaced atomically; a failure never destroys the last good one. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
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

typedef struct {
    const hb_config *cfg;
    const char *dir;
    hb_trainer *t;
    float *x, *g, *y;
} run;

/* The checkpoint, then the generator; *last_good becomes step once the checkpoint is in. */
static int save_checkpoint(run *r, long step, long *last_good, char *err, size_t errlen) {
    char path[1100];
    join(path, sizeof path, r->dir, "checkpoint.safetensors");
    if (hb_trainer_save(r->t, path, err, errlen) != 0) return -1;
    *last_good = step;
    if (r->cfg->mode == HB_MODE_JOINT) return 0;
    join(path, sizeof path, r->dir, "gen.safetensors");
    return hb_trainer_export_generator(r->t, path, err, errlen);
}

static int save_grid(run *r, long step, char *err, size_t errlen) {
    char path[1100], name[64];
    snprintf(name, sizeof name, "samples/grid_%06ld.png", step);
    join(path, sizeof path, r->dir, name);
    int n = r->cfg->num_plot < r->cfg->batch_size ? r->cfg->num_plot : r->cfg->batch_size;
    hb_trainer_samples(r->t, r->x, r->g, r->y);
    return hb_write_grid(path, r->x, r->g, r->y, n, r->cfg->channels, r->cfg->image_size,
                         Y_MAGNIFICATION, err, errlen);
}

/* trajectory.safetensors, replaced at every plot interval for hatebm-view --attach: a fresh
 * chain with the current weights, snapshots at up to 17 evenly spaced chain steps from 0 to K
 * (fewer for large images: the file stays under TRAJ_BYTES) of the first min(num_plot, batch)
 * chains. Tensors x, g, y [S, n, nch, res, res] (X = G(Z) + Y, G(Z), Y), energy [S, n] (H(X));
 * metadata step (training iteration) and chain_steps (comma-separated). */
#define TRAJ_BYTES (32u << 20)
static int publish_trajectory(run *r, long step, char *err, size_t errlen) {
    const hb_config *c = r->cfg;
    int n = c->num_plot < c->batch_size ? c->num_plot : c->batch_size;
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

int cli_train(const char *device, int argc, char **argv) {
    const char *config = NULL, *resume = NULL, *run_dir = NULL;
    char **overrides = calloc((size_t)argc + 1, sizeof *overrides);
    int noverrides = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--resume") == 0 && i + 1 < argc) resume = argv[++i];
        else if (strcmp(argv[i], "--run-dir") == 0 && i + 1 < argc) run_dir = argv[++i];
        else if (argv[i][0] == '-') {
            free(overrides);
            return usage();
        } else if (strchr(argv[i], '=')) overrides[noverrides++] = argv[i];
        else if (!config) config = argv[i];
        else {
            free(overrides);
            return usage();
        }
    }
    if (!!config == !!resume) {
        free(overrides);
        return usage();
    }
    char dir[1024], path[1100], err[1024];
    if (resume) snprintf(dir, sizeof dir, "%s", resume);
    else if (run_dir) snprintf(dir, sizeof dir, "%s", run_dir);
    else default_run_dir(config, dir, sizeof dir);

    /* everything is checked before any work starts */
    hb_config cfg;
    if (resume) {
        join(path, sizeof path, dir, "config.ini");
        if (!file_exists(path)) {
            fprintf(stderr, "hatebm: error: %s has no config.ini: not a run directory\n", dir);
            free(overrides);
            return 2;
        }
        config = path;
    }
    int rc = hb_config_load(config, noverrides, overrides, &cfg, err, sizeof err);
    free(overrides);
    if (rc != 0) {
        fprintf(stderr, "hatebm: error: %s\n", err);
        return 2;
    }
    if (cfg.mode == HB_MODE_CLASSIFIER) {
        if (resume) {
            fprintf(stderr, "hatebm: error: a classifier run has no checkpoints (it takes minutes): "
                            "train it again into a new --run-dir\n");
            return 2;
        }
        join(path, sizeof path, dir, "classifier.safetensors");
        if (file_exists(path)) {
            fprintf(stderr, "hatebm: error: %s already holds a trained classifier; choose another "
                            "--run-dir\n", dir);
            return 2;
        }
        if (hb_mkdir_p(dir) != 0) {
            fprintf(stderr, "hatebm: error: cannot create %s: %s\n", dir, strerror(errno));
            return 2;
        }
        join(path, sizeof path, dir, "config.ini");
        if (hb_config_write(&cfg, path, err, sizeof err) != 0) {
            fprintf(stderr, "hatebm: error: %s\n", err);
            return 2;
        }
        return cli_train_classifier(device, &cfg, dir);
    }
    char ckpt[1100];
    join(ckpt, sizeof ckpt, dir, "checkpoint.safetensors");
    if (!resume && file_exists(ckpt)) {
        fprintf(stderr, "hatebm: error: %s already holds a run; continue it with --resume %s or "
                        "choose another --run-dir\n", dir, dir);
        return 2;
    }
    if (cfg.mode == HB_MODE_JOINT && !file_exists(cfg.generator)) {
        fprintf(stderr, "hatebm: error: generator '%s' not found: train one first (mode synth or "
                        "ae writes RUN_DIR/gen.safetensors) or set generator=PATH\n", cfg.generator);
        return 2;
    }
    hb_dataset data;
    if (hb_dataset_load(cfg.dataset, cfg.image_size, cfg.channels, &data, err, sizeof err) != 0) {
        fprintf(stderr, "hatebm: error: %s\n", err);
        return 2;
    }
    join(path, sizeof path, dir, "samples");
    if (hb_mkdir_p(path) != 0) {
        fprintf(stderr, "hatebm: error: cannot create %s: %s\n", path, strerror(errno));
        hb_dataset_free(&data);
        return 2;
    }
    int lock = lock_run_dir(dir);
    if (lock < 0) {
        hb_dataset_free(&data);
        return 2;
    }
    remove_stale_temps(dir);
    remove_stale_temps(path);

    hb_ctx_opts o = {.device = device, .validate = -1, .quiet = 1};
    hb_ctx *ctx = hb_ctx_create(&o);
    hb_train_cfg tc = hb_train_cfg_from_config(&cfg);
    const char *source;
    size_t need = hb_trainer_plan_bytes(ctx, &tc), budget = hb_device_budget(ctx, &source);
    if (need > budget) {
        fprintf(stderr, "hatebm: error: this config needs about %.1f GiB of device memory but %s "
                        "has %.1f GiB (%s); lower batch_size, persistent_size, ngf_hat or "
                        "ngf_gen\n", need / 1073741824.0, hb_ctx_device_name(ctx),
                budget / 1073741824.0, source);
        close(lock);
        hb_ctx_destroy(ctx);
        hb_dataset_free(&data);
        return 2;
    }
    hb_trainer *t = hb_trainer_new(ctx, &tc, cfg.generator, err, sizeof err);
    if (!t) {
        fprintf(stderr, "hatebm: error: %s\n", err);
        close(lock);
        hb_ctx_destroy(ctx);
        hb_dataset_free(&data);
        return 2;
    }
    FILE *metrics = NULL;
    hb_batcher *batches = NULL;
    char what[200];
    rc = 2;
    /* a run killed before its first checkpoint starts again from step 0 */
    if (resume && file_exists(ckpt) && hb_trainer_load(t, ckpt, err, sizeof err) != 0) {
        fprintf(stderr, "hatebm: error: %s; the checkpoint does not fit this config or is "
                        "damaged: drop overrides that change the networks, or train again into a "
                        "new --run-dir\n", err);
        goto out;
    }
    if (resume && hb_trainer_check_finite(t, what, sizeof what) != 0) {
        fprintf(stderr, "hatebm: error: step %ld: %s in %s is not finite (NaN or Inf); stopped "
                        "before training, the file is untouched: resume from an earlier copy of "
                        "the run or train again\n", hb_trainer_iteration(t), what, ckpt);
        rc = 3;
        goto out;
    }
    /* the run is accepted: only now are its config and metrics touched */
    join(path, sizeof path, dir, "config.ini");
    if (hb_config_write(&cfg, path, err, sizeof err) != 0) {
        fprintf(stderr, "hatebm: error: %s\n", err);
        goto out;
    }
    join(path, sizeof path, dir, "metrics.jsonl");
    if (resume && trim_metrics(path, hb_trainer_iteration(t), err, sizeof err) != 0) {
        fprintf(stderr, "hatebm: error: %s\n", err);
        goto out;
    }
    hb_ctx_announce(ctx);
    if (resume)
        fprintf(stderr, "hatebm: resuming %s at step %ld%s\n", dir, hb_trainer_iteration(t),
                file_exists(ckpt) ? "" : " (it stopped before its first checkpoint)");
    metrics = fopen(path, "a");
    size_t img = (size_t)cfg.batch_size * cfg.channels * cfg.image_size * cfg.image_size;
    batches = hb_batcher_new(&data, cfg.batch_size, cfg.seed, (uint64_t)hb_trainer_iteration(t));
    if (!metrics || !batches) {
        fprintf(stderr, "hatebm: error: cannot open %s or start the data thread\n", path);
        rc = 2;
        goto out;
    }
    run r = {&cfg, dir, t, malloc(img * 4), malloc(img * 4), malloc(img * 4)};
    int tty = isatty(2);
    double start = hb_now_s(), last_log = start;
    long first = hb_trainer_iteration(t), last_good = first;
    rc = 0;
    while (hb_trainer_iteration(t) < cfg.num_training_steps) {
        long step = hb_trainer_iteration(t);
        hb_train_metrics m;
        const float *batch = hb_batcher_next(batches);
        long bad_pixel = hb_first_nonfinite(batch, img);
        if (bad_pixel >= 0) { /* the loaders refuse such data; this guards the copy in memory */
            fprintf(stderr, "%shatebm: error: step %ld: the data batch (image %ld of it) is not "
                            "finite (NaN or Inf); stopped before the step. The last good "
                            "checkpoint (step %ld) is in %s; check the data set and --resume\n",
                    tty ? "\n" : "", step + 1, bad_pixel / (long)(img / cfg.batch_size),
                    last_good, dir);
            rc = 3;
            break;
        }
        hb_trainer_step(t, batch, hb_config_lr(&cfg, cfg.lr_ebm, step),
                        hb_config_lr(&cfg, cfg.lr_gen, step), &m);
        step++;
        const char *bad = !isfinite(m.e_pos) ? "the mean energy of the data"
                          : !isfinite(m.e_neg) ? "the mean energy of the samples"
                          : !isfinite(m.gen_loss) ? (cfg.mode == HB_MODE_AE ? "the autoencoder loss" : "the generator loss")
                          : !isfinite(m.res_norm) ? "the residual Y"
                          : !isfinite(m.state_sum) ? "a weight or a sample" : NULL;
        int bad_state = bad ? hb_trainer_check_finite(t, what, sizeof what) != 0 : 0;
        if (bad) {
            fprintf(stderr, "%shatebm: error: step %ld: %s is not finite (NaN or Inf)%s%s%s; "
                            "stopped. The last good checkpoint (step %ld) is in %s; lower the "
                            "learning rates or epsilon and --resume\n", tty ? "\n" : "", step,
                    bad, bad_state ? ", nor is " : "", bad_state ? what : "",
                    bad_state ? " (the first such tensor)" : "", last_good, dir);
            rc = 3;
            break;
        }
        double rate = (step - first) / (hb_now_s() - start);
        if (step % cfg.log_every == 0 || step == cfg.num_training_steps) {
            fprintf(metrics, "{\"step\": %ld, \"ebm_loss\": %.9g, \"gen_loss\": %.9g, \"e_pos\": "
                             "%.9g, \"e_neg\": %.9g, \"res_norm\": %.9g, \"langevin_grad_norm\": "
                             "%.9g, \"it_per_s\": %.4g}\n",
                    step, m.ebm_loss, m.gen_loss, m.e_pos, m.e_neg, m.res_norm, m.grad_norm, rate);
            if (fflush(metrics) != 0 || ferror(metrics)) {
                fprintf(stderr, "%shatebm: error: cannot append to %s/metrics.jsonl: %s; the last "
                                "checkpoint (step %ld) is intact: free space and --resume %s\n",
                        tty ? "\n" : "", dir, strerror(errno), last_good, dir);
                rc = 2;
                break;
            }
        }
        if (tty || hb_now_s() - last_log > 30 || step % cfg.log_every == 0) {
            if (tty || step % cfg.log_every == 0) progress(&cfg, step, rate, &m, tty);
            last_log = hb_now_s();
        }
        if ((step % cfg.plot_every == 0 || step == cfg.num_training_steps) &&
            (save_grid(&r, step, err, sizeof err) != 0 ||
             (cfg.mode != HB_MODE_AE && publish_trajectory(&r, step, err, sizeof err) != 0)))
            fprintf(stderr, "%shatebm: warning: %s\n", tty ? "\n" : "", err);
        if (step % cfg.checkpoint_every == 0 || step == cfg.num_training_steps) {
            if (hb_trainer_check_finite(t, what, sizeof what) != 0) {
                fprintf(stderr, "%shatebm: error: step %ld: %s is not finite (NaN or Inf); "
                                "stopped without saving. The last good checkpoint (step %ld) is "
                                "in %s; lower the learning rates or epsilon and --resume\n",
                        tty ? "\n" : "", step, what, last_good, dir);
                rc = 3;
                break;
            }
            if (save_checkpoint(&r, step, &last_good, err, sizeof err) != 0) {
                fprintf(stderr, "%shatebm: error: %s; the checkpoint of step %ld is intact: free "
                                "space or fix permissions and --resume %s\n", tty ? "\n" : "",
                        err, last_good, dir);
                rc = 2;
                break;
            }
        }
    }
    if (tty) fputc('\n', stderr);
    if (rc == 0 && first >= cfg.num_training_steps)
        fprintf(stderr, "hatebm: %s is already at step %ld (num_training_steps %ld); raise it "
                        "with num_training_steps=N to train on\n", dir, first, cfg.num_training_steps);
    else if (rc == 0)
        fprintf(stderr, "hatebm: trained %ld steps in %.1f min; run directory %s\n",
                cfg.num_training_steps - first, (hb_now_s() - start) / 60, dir);
    free(r.x), free(r.g), free(r.y);
out:
    if (metrics) fclose(metrics);
    close(lock);
    hb_batcher_free(batches);
    hb_trainer_free(t);
    /* with HATEBM_VALIDATE=1 the tests need any validation message to fail the run */
    if (hb_validation_messages(ctx) && rc == 0) {
        fprintf(stderr, "hatebm: error: the Vulkan validation layer reported %u message(s)\n",
                hb_validation_messages(ctx));
        rc = 1;
    }
    hb_ctx_destroy(ctx);
    hb_dataset_free(&data);
    return rc;
}
