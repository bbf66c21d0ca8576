/* Classifier training and evaluation. */
#include "train/classifier.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/files.h"
#include "train/optim.h"

struct hb_classifier {
    hb_ctx *ctx;
    hb_graph *g;
    int features, batch, nch, width, trainable;
    uint64_t seed;
    float ema_decay;
    hb_optim opt;
    hb_tensor labels, loss, correct, metrics;
    hb_cmd *train, *infer;
    long steps;
};

static hb_classifier *make(hb_ctx *ctx, int nch, int width, int batch) {
    hb_classifier *c = calloc(1, sizeof *c);
    c->ctx = ctx;
    c->nch = nch;
    c->width = width;
    c->batch = batch;
    c->g = hb_build_classifier(ctx, nch, width, &c->features);
    hb_g_finalize(c->g, batch);
    c->labels = hb_alloc(ctx, (size_t)batch);
    c->loss = hb_alloc(ctx, (size_t)batch);
    c->correct = hb_alloc(ctx, (size_t)batch);
    c->metrics = hb_alloc(ctx, 2);
    c->infer = hb_cmd_create(ctx);
    hb_cmd_begin(c->infer);
    hb_g_forward(c->g, c->infer, batch);
    hb_cmd_end(c->infer);
    return c;
}

hb_classifier *hb_classifier_new(hb_ctx *ctx, int nch, int width, int batch, uint64_t seed,
                                 float ema_decay) {
    hb_classifier *c = make(ctx, nch, width, batch);
    hb_g_init_params(c->g, seed);
    hb_optim_init(ctx, &c->opt, c->g, ema_decay, 0);
    c->seed = seed;
    c->ema_decay = ema_decay;
    c->trainable = 1;
    int B = batch;
    hb_tensor logits = hb_g_value(c->g, c->g->output, B);
    c->train = hb_cmd_create(ctx);
    hb_cmd_begin(c->train);
    hb_g_forward(c->g, c->train, B);
    hb_softmax_xent(c->train, c->loss, c->correct, hb_g_grad(c->g, c->g->output, B), logits,
                    c->labels, B, HB_CLASSIFIER_CLASSES, 1.0f / B);
    hb_reduce_sum(c->train, hb_slice(c->metrics, 0, 1), c->loss, 1.0f / B);
    hb_reduce_sum(c->train, hb_slice(c->metrics, 1, 1), c->correct, 1.0f / B);
    hb_g_backward(c->g, c->train, B, 1, 0);
    hb_optim_record(c->train, &c->opt, c->g);
    hb_cmd_end(c->train);
    return c;
}

hb_classifier *hb_classifier_load(hb_ctx *ctx, const char *path, int batch, char *err,
                                  size_t errlen) {
    hb_st_file f;
    if (hb_st_load(path, &f, err, errlen) != 0) return NULL;
    const char *net = hb_st_meta_get(&f, "network"), *w = hb_st_meta_get(&f, "width");
    const char *ch = hb_st_meta_get(&f, "channels");
    int width = w ? atoi(w) : 0, nch = ch ? atoi(ch) : 0;
    if (!net || strcmp(net, "classifier") != 0 || width < 1 || width > 1024 ||
        (nch != 1 && nch != 3)) {
        hb_errorf(err, errlen, "%s: not a classifier written by 'hatebm train' with mode "
                  "classifier (metadata network/width/channels)", path);
        hb_st_free(&f);
        return NULL;
    }
    hb_classifier *c = make(ctx, nch, width, batch);
    int rc = hb_g_load_params(c->g, &f, "", err, errlen);
    hb_st_free(&f);
    if (rc != 0) {
        hb_classifier_free(c);
        return NULL;
    }
    return c;
}

void hb_classifier_free(hb_classifier *c) {
    if (!c) return;
    hb_cmd_destroy(c->train);
    hb_cmd_destroy(c->infer);
    if (c->trainable) hb_optim_free(c->ctx, c->g, &c->opt);
    hb_tensor ts[] = {c->labels, c->loss, c->correct, c->metrics};
    for (size_t i = 0; i < sizeof ts / sizeof *ts; i++) hb_free(c->ctx, ts[i]);
    hb_g_free(c->g);
    free(c);
}

int hb_classifier_channels(const hb_classifier *c) { return c->nch; }

void hb_classifier_step(hb_classifier *c, const float *images, const int *labels, float lr,
                        float *loss, float *accuracy) {
    int B = c->batch;
    float *lf = malloc((size_t)B * sizeof *lf), m[2];
    for (int i = 0; i < B; i++) lf[i] = (float)labels[i];
    hb_upload(c->ctx, c->labels, lf);
    hb_upload(c->ctx, hb_g_value(c->g, 0, B), images);
    hb_optim_hyper(c->ctx, &c->opt, lr, ++c->steps);
    hb_cmd_run(c->train);
    hb_download(c->ctx, c->metrics, m);
    free(lf);
    if (loss) *loss = m[0];
    if (accuracy) *accuracy = m[1];
}

int hb_classifier_save(hb_classifier *c, const char *path, char *err, size_t errlen) {
    char width[16], nch[16];
    snprintf(width, sizeof width, "%d", c->width);
    snprintf(nch, sizeof nch, "%d", c->nch);
    hb_st_writer *w = hb_st_writer_new();
    float *ema = hb_g_download_flat(c->g, c->trainable ? &c->opt.ema : &c->g->weights);
    if (c->trainable) /* without the initial weights' share; training may continue after */
        hb_ema_debias(c->g, ema, c->seed, c->ema_decay, c->steps);
    hb_g_add_tensors(c->g, w, "", ema);
    hb_st_meta(w, "network", "classifier");
    hb_st_meta(w, "width", width);
    hb_st_meta(w, "channels", nch);
    int rc = hb_st_write(w, path, err, errlen);
    hb_st_writer_free(w);
    free(ema);
    return rc;
}

void hb_classifier_run(hb_classifier *c, const float *images, int n, int *pred, float *features) {
    int B = c->batch, K = HB_CLASSIFIER_CLASSES, F = HB_CLASSIFIER_FEATURES;
    size_t D = (size_t)c->nch * 32 * 32;
    float *pad = calloc((size_t)B * D, sizeof *pad), *logits = malloc((size_t)B * K * sizeof *logits);
    float *feat = malloc((size_t)B * F * sizeof *feat);
    for (int at = 0; at < n; at += B) {
        int m = n - at < B ? n - at : B; /* a last partial batch is padded with zeros */
        memcpy(pad, images + (size_t)at * D, (size_t)m * D * sizeof *pad);
        hb_upload(c->ctx, hb_g_value(c->g, 0, B), pad);
        hb_cmd_run(c->infer);
        if (pred) {
            hb_download(c->ctx, hb_g_value(c->g, c->g->output, B), logits);
            for (int i = 0; i < m; i++) {
                const float *l = logits + (size_t)i * K;
                int arg = 0;
                for (int k = 1; k < K; k++)
                    if (l[k] > l[arg]) arg = k;
                pred[at + i] = arg;
            }
        }
        if (features) {
            hb_download(c->ctx, hb_g_value(c->g, c->features, B), feat);
            memcpy(features + (size_t)at * F, feat, (size_t)m * F * sizeof *feat);
        }
    }
    free(pad), free(logits), free(feat);
}
