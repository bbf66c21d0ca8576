/* hatebm train with mode = classifier: the evaluation classifier behind FID features. Writes
 * RUN_DIR/config.ini, metrics.jsonl (loss and accuracy per logged step, then the held-out
 * accuracy) and classifier.safetensors (EMA weights), whose accuracy on eval_dataset is what
 * it reports. A run takes minutes, so it has no checkpoints: rerun it instead of resuming. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "data/dataset.h"
#include "train/classifier.h"

static int labelled(const hb_dataset *d, const char *spec) {
    if (!d->labels) {
        fprintf(stderr, "hatebm: error: %s has no labels; a classifier needs labelled data (e.g. "
                        "fashion-mnist:train)\n", spec);
        return 0;
    }
    for (int i = 0; i < d->n; i++)
        if (d->labels[i] < 0 || d->labels[i] >= HB_CLASSIFIER_CLASSES) {
            fprintf(stderr, "hatebm: error: %s: label %d of image %d is outside 0..%d\n", spec,
                    d->labels[i], i, HB_CLASSIFIER_CLASSES - 1);
            return 0;
        }
    return 1;
}

static double accuracy(hb_classifier *c, const hb_dataset *d) {
    int *pred = malloc((size_t)d->n * sizeof *pred), hits = 0;
    hb_classifier_run(c, d->pixels, d->n, pred, NULL);
    for (int i = 0; i < d->n; i++) hits += pred[i] == d->labels[i];
    free(pred);
    return (double)hits / d->n;
}

int cli_train_classifier(const char *device, const hb_config *cfg, const char *dir) {
    char err[1024], path[1100];
    hb_dataset train = {0}, held = {0};
    if (hb_dataset_load(cfg->dataset, cfg->image_size, cfg->channels, &train, err, sizeof err) ||
        (cfg->eval_dataset[0] && hb_dataset_load(cfg->eval_dataset, cfg->image_size,
                                                 cfg->channels, &held, err, sizeof err))) {
        fprintf(stderr, "hatebm: error: %s\n", err);
        hb_dataset_free(&train);
        return 2;
    }
    if (cfg->image_size != 32 || !labelled(&train, cfg->dataset) ||
        (held.n && !labelled(&held, cfg->eval_dataset))) {
        if (cfg->image_size != 32)
            fprintf(stderr, "hatebm: error: the classifier is defined at 32x32 (image_size %d)\n",
                    cfg->image_size);
        hb_dataset_free(&train), hb_dataset_free(&held);
        return 2;
    }
    snprintf(path, sizeof path, "%s/metrics.jsonl", dir);
    FILE *metrics = fopen(path, "w");
    hb_batcher *batches = hb_batcher_new(&train, cfg->batch_size, cfg->seed, 0);
    if (!metrics || !batches) {
        fprintf(stderr, "hatebm: error: cannot write %s or start the data thread\n", path);
        if (metrics) fclose(metrics);
        hb_batcher_free(batches);
        hb_dataset_free(&train), hb_dataset_free(&held);
        return 2;
    }
    hb_ctx_opts o = {.device = device, .validate = -1};
    hb_ctx *ctx = hb_ctx_create(&o);
    hb_classifier *c = hb_classifier_new(ctx, cfg->channels, cfg->ngf_hat, cfg->batch_size,
                                         cfg->seed, cfg->ema_decay);
    int B = cfg->batch_size, *labels = malloc((size_t)B * sizeof *labels), rc = 0;
    double loss_sum = 0, acc_sum = 0;
    int since = 0;
    for (long step = 1; step <= cfg->num_training_steps; step++) {
        const float *x = hb_batcher_next(batches);
        const int *idx = hb_batcher_indices(batches);
        for (int i = 0; i < B; i++) labels[i] = train.labels[idx[i]];
        float loss, acc;
        hb_classifier_step(c, x, labels, hb_config_lr(cfg, cfg->lr_ebm, step - 1), &loss, &acc);
        if (!isfinite(loss)) {
            fprintf(stderr, "hatebm: error: step %ld: the classifier loss is not finite; lower "
                            "lr_ebm\n", step);
            rc = 3;
            break;
        }
        loss_sum += loss, acc_sum += acc, since++;
        if (step % cfg->log_every == 0 || step == cfg->num_training_steps) {
            fprintf(metrics, "{\"step\": %ld, \"loss\": %.6g, \"train_accuracy\": %.4f}\n", step,
                    loss_sum / since, acc_sum / since);
            fflush(metrics);
            fprintf(stderr, "step %ld/%ld  loss %.4f  train accuracy %.3f\n", step,
                    cfg->num_training_steps, loss_sum / since, acc_sum / since);
            loss_sum = acc_sum = 0, since = 0;
        }
    }
    snprintf(path, sizeof path, "%s/classifier.safetensors", dir);
    if (rc == 0 && hb_classifier_save(c, path, err, sizeof err) != 0) {
        fprintf(stderr, "hatebm: error: %s\n", err);
        rc = 2;
    }
    hb_classifier_free(c);
    if (rc == 0 && held.n) { /* the accuracy of exactly the weights written */
        hb_classifier *saved = hb_classifier_load(ctx, path, 256, err, sizeof err);
        if (!saved) {
            fprintf(stderr, "hatebm: error: %s\n", err);
            rc = 2;
        } else {
            double acc = accuracy(saved, &held);
            fprintf(metrics, "{\"eval_dataset\": \"%s\", \"eval_accuracy\": %.4f}\n",
                    cfg->eval_dataset, acc);
            fprintf(stderr, "hatebm: accuracy on %s: %.2f%% (%d images); weights in %s\n",
                    cfg->eval_dataset, 100 * acc, held.n, path);
            hb_classifier_free(saved);
        }
    }
    free(labels);
    fclose(metrics);
    hb_batcher_free(batches);
    hb_ctx_destroy(ctx);
    hb_dataset_free(&train), hb_dataset_free(&held);
    return rc;
}
