/* The trainer's files: checkpoints (save, load, the finiteness check of what they hold) and
 * the export of the EMA generator. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "dist/dist.h"
#include "train/trainer_state.h"

#define CHECKPOINT_FORMAT "hatebm-checkpoint-1"

/* The generator's optimizer, or NULL where the generator is frozen (joint). */
static hb_optim *gen_optim(hb_trainer *t) {
    return t->cfg.mode == HB_MODE_JOINT ? NULL : &t->gen_opt;
}

typedef struct {
    float *bufs[32];
    int n;
} keep;
static float *kept(keep *k, float *p) { return k->bufs[k->n++] = p; }

static float *download_new(hb_ctx *ctx, hb_tensor t) {
    float *x = malloc((t.n ? t.n : 1) * sizeof *x);
    hb_download(ctx, t, x);
    return x;
}

/* Weights as named tensors under prefix, EMA weights under "ema."+prefix, Adam moments flat. */
static void add_net(hb_st_writer *w, keep *k, hb_graph *g, hb_optim *a,
                    const char *prefix) {
    char name[64];
    hb_g_add_tensors(g, w, prefix, kept(k, hb_g_download_flat(g, &g->weights)));
    if (!a) return;
    snprintf(name, sizeof name, "ema.%s", prefix);
    hb_g_add_tensors(g, w, name, kept(k, hb_g_download_flat(g, &a->ema)));
    int64_t n = g->nparam_floats;
    snprintf(name, sizeof name, "opt.%sm", prefix);
    hb_st_add(w, name, 1, &n, kept(k, hb_g_download_flat(g, &a->m)));
    snprintf(name, sizeof name, "opt.%sv", prefix);
    hb_st_add(w, name, 1, &n, kept(k, hb_g_download_flat(g, &a->v)));
}

int hb_trainer_save(hb_trainer *t, const char *path, char *err, size_t errlen) {
    hb_st_writer *w = hb_st_writer_new();
    keep k = {.n = 0};
    char buf[32];
    hb_st_meta(w, "format", CHECKPOINT_FORMAT);
    hb_st_meta(w, "mode", hb_mode_name(t->cfg.mode));
    snprintf(buf, sizeof buf, "%ld", t->iteration);
    hb_st_meta(w, "step", buf);
    snprintf(buf, sizeof buf, "%" PRIu64, t->host_rng);
    hb_st_meta(w, "host_rng", buf);
    if (t->hat) add_net(w, &k, t->hat, &t->hat_opt, "hat.");
    add_net(w, &k, t->gen, gen_optim(t), "gen.");
    if (t->enc) add_net(w, &k, t->enc, &t->enc_opt, "enc.");
    if (t->perm) {
        int M = t->cfg.persistent_size;
        int64_t zs[2] = {M, HB_NZ}, xs[4] = {M, t->cfg.nch, t->cfg.res, t->cfg.res}, ps[1] = {M};
        float *perm = kept(&k, malloc((size_t)M * sizeof *perm));
        for (int i = 0; i < M; i++) perm[i] = (float)t->perm[i];
        hb_st_add(w, "bank.z", 2, zs, kept(&k, download_new(t->ctx, t->bank_z)));
        hb_st_add(w, "bank.x", 4, xs, kept(&k, download_new(t->ctx, t->bank_x)));
        hb_st_add(w, "bank.perm", 1, ps, perm);
    }
    int rc = hb_st_write(w, path, err, errlen);
    hb_st_writer_free(w);
    for (int i = 0; i < k.n; i++) free(k.bufs[i]);
    return rc;
}

/* Names in what the first of g's weights, EMA weights and Adam moments (a may be NULL) that
 * holds NaN or Inf, by its checkpoint name; 0 when all are finite. */
static int check_net(hb_graph *g, hb_optim *a, const char *prefix, char *what, size_t len) {
    const hb_g_flat *vec[4] = {&g->weights, a ? &a->ema : NULL, a ? &a->m : NULL,
                               a ? &a->v : NULL};
    static const char *fmt[4] = {"%s%s", "ema.%s%s", "opt.%sm (Adam's first moment of %s%s)",
                                 "opt.%sv (Adam's second moment of %s%s)"};
    for (int k = 0; k < 4 && vec[k]; k++) {
        float *flat = hb_g_download_flat(g, vec[k]);
        for (int i = 0; i < g->nparams; i++) {
            const hb_g_param_info *p = &g->params[i];
            if (hb_first_nonfinite(flat + p->off, p->n) < 0) continue;
            snprintf(what, len, fmt[k], prefix, k < 2 ? p->name : prefix, p->name);
            free(flat);
            return -1;
        }
        free(flat);
    }
    return 0;
}

int hb_trainer_check_finite(hb_trainer *t, char *what, size_t len) {
    if (t->hat && check_net(t->hat, &t->hat_opt, "hat.", what, len)) return -1;
    if (check_net(t->gen, gen_optim(t), "gen.", what, len))
        return -1;
    if (t->enc && check_net(t->enc, &t->enc_opt, "enc.", what, len)) return -1;
    if (!t->perm) return 0;
    hb_tensor bank[2] = {t->bank_z, t->bank_x};
    for (int k = 0; k < 2; k++) {
        float *x = download_new(t->ctx, bank[k]);
        long at = hb_first_nonfinite(x, bank[k].n);
        free(x);
        if (at >= 0) {
            snprintf(what, len, "bank.%s (sample %ld of the historical bank)", k ? "x" : "z",
                     at / (k ? t->D : HB_NZ));
            return -1;
        }
    }
    return 0;
}

/* A vector of g's parameter layout, stored flat, from f into dst. */
static int load_flat(const hb_st_file *f, const char *name, const hb_graph *g,
                     const hb_g_flat *dst, char *err, size_t errlen) {
    int64_t n = g->nparam_floats;
    if (hb_st_expect(f, name, 1, &n, err, errlen) != 0) return -1;
    hb_g_upload_flat(g, dst, hb_st_find(f, name)->data);
    return 0;
}

static int load_net(const hb_st_file *f, hb_graph *g, hb_optim *a,
                    const char *prefix, char *err, size_t errlen) {
    char name[64];
    if (hb_g_load_into(g, f, prefix, &g->weights, err, errlen) != 0) return -1;
    if (!a) return 0;
    snprintf(name, sizeof name, "ema.%s", prefix);
    if (hb_g_load_into(g, f, name, &a->ema, err, errlen) != 0) return -1;
    snprintf(name, sizeof name, "opt.%sm", prefix);
    if (load_flat(f, name, g, &a->m, err, errlen) != 0) return -1;
    snprintf(name, sizeof name, "opt.%sv", prefix);
    return load_flat(f, name, g, &a->v, err, errlen);
}

int hb_trainer_load(hb_trainer *t, const char *path, char *err, size_t errlen) {
    hb_st_file f;
    if (hb_st_load(path, &f, err, errlen) != 0) return -1;
    int rc = -1;
    const char *format = hb_st_meta_get(&f, "format"), *mode = hb_st_meta_get(&f, "mode");
    const char *step = hb_st_meta_get(&f, "step"), *rng = hb_st_meta_get(&f, "host_rng");
    if (!format || strcmp(format, CHECKPOINT_FORMAT) != 0 || !step || !rng || !mode) {
        snprintf(err, errlen, "%s: not a hatebm checkpoint (metadata format/mode/step/host_rng "
                 "missing)", path);
        goto done;
    }
    if (strcmp(mode, hb_mode_name(t->cfg.mode)) != 0) {
        snprintf(err, errlen, "%s: a checkpoint of mode %s, but the config says mode %s", path,
                 mode, hb_mode_name(t->cfg.mode));
        goto done;
    }
    if (t->hat && load_net(&f, t->hat, &t->hat_opt, "hat.", err, errlen) != 0) goto done;
    if (load_net(&f, t->gen, gen_optim(t), "gen.", err,
                 errlen) != 0)
        goto done;
    if (t->enc && load_net(&f, t->enc, &t->enc_opt, "enc.", err, errlen) != 0) goto done;
    if (t->perm) {
        int M = t->cfg.persistent_size;
        int64_t zs[2] = {M, HB_NZ}, xs[4] = {M, t->cfg.nch, t->cfg.res, t->cfg.res}, ps[1] = {M};
        if (hb_st_expect(&f, "bank.z", 2, zs, err, errlen) != 0 ||
            hb_st_expect(&f, "bank.x", 4, xs, err, errlen) != 0 ||
            hb_st_expect(&f, "bank.perm", 1, ps, err, errlen) != 0)
            goto done;
        hb_upload(t->ctx, t->bank_z, hb_st_find(&f, "bank.z")->data);
        hb_upload(t->ctx, t->bank_x, hb_st_find(&f, "bank.x")->data);
        const float *perm = hb_st_find(&f, "bank.perm")->data;
        char *seen = calloc((size_t)M, 1); /* a permutation: duplicate slots would race */
        for (int i = 0; i < M; i++) {
            if (!(perm[i] >= 0 && perm[i] < M) || seen[(int)perm[i]]) {
                snprintf(err, errlen, "%s: tensor 'bank.perm' holds %g at %d, expected a "
                         "permutation of 0..%d", path, perm[i], i, M - 1);
                free(seen);
                goto done;
            }
            seen[(int)perm[i]] = 1;
            t->perm[i] = (int)perm[i];
        }
        free(seen);
    }
    char *end;
    errno = 0;
    long it = strtol(step, &end, 10);
    int bad_step = errno || end == step || *end || it < 0;
    uint64_t hr = strtoull(rng, &end, 10);
    if (bad_step || errno || end == rng || *end || rng[0] == '-') {
        snprintf(err, errlen, "%s: metadata step '%.20s' or host_rng '%.24s' is not a whole "
                 "number: not a hatebm checkpoint", path, step, rng);
        goto done;
    }
    t->iteration = it;
    t->host_rng = hr;
    rc = 0;
done:
    hb_st_free(&f);
    return rc;
}

int hb_trainer_export_generator(hb_trainer *t, const char *path, char *err, size_t errlen) {
    if (t->cfg.mode == HB_MODE_JOINT) {
        snprintf(err, errlen, "a joint run's generator is frozen; use the file it was given");
        return -1;
    }
    hb_st_writer *w = hb_st_writer_new();
    float *ema = hb_g_download_flat(t->gen, &t->gen_opt.ema);
    /* the initial weights (seed as in hb_trainer_new) leave the EMA; training may resume */
    hb_ema_debias(t->gen, ema, t->cfg.seed + 1, t->cfg.ema_decay, t->iteration);
    hb_g_add_tensors(t->gen, w, "", ema);
    hb_st_meta(w, "network", t->cfg.mode == HB_MODE_AE ? "decoder" : "gen_sngan");
    int rc = hb_st_write(w, path, err, errlen);
    hb_st_writer_free(w);
    free(ema);
    return rc;
}

static uint64_t hash_flat(uint64_t h, hb_graph *g) {
    float *flat = hb_g_download_flat(g, &g->weights);
    h = hb_hash_bytes(h, flat, (size_t)g->nparam_floats * sizeof *flat);
    free(flat);
    return h;
}

uint64_t hb_trainer_checksum(hb_trainer *t) {
    uint64_t h = HB_HASH_INIT;
    if (t->hat) h = hash_flat(h, t->hat);
    h = hash_flat(h, t->gen);
    if (t->enc) h = hash_flat(h, t->enc);
    if (!t->perm) return h;
    float *x = download_new(t->ctx, t->bank_x);
    h = hb_hash_bytes(h, x, (size_t)t->bank_x.n * sizeof *x);
    free(x);
    return hb_hash_bytes(h, &t->host_rng, sizeof t->host_rng);
}
