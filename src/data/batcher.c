/* Prefetching random batch sampler: one worker thread, two buffers. While the caller uses the
 * batch returned last, the worker fills the other buffer with the next one. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "data/dataset.h"

struct hb_batcher {
    const hb_dataset *d;
    int first, rows; /* the rows of each batch this batcher keeps */
    size_t img; /* floats per image */
    uint64_t seed, next;  /* next: index of the batch the worker fills (or filled) */
    float *buf[2];
    int *idx[2];
    int cur;              /* buffer handed out last; the worker fills 1 - cur */
    int pending, ready, quit;
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
};

static uint64_t splitmix64(uint64_t *s) {
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Draws of batch k: a stream seeded from (seed, k) only. */
static void fill(const hb_batcher *b, uint64_t k, float *dst, int *idx) {
    uint64_t s = b->seed;
    uint64_t mix = splitmix64(&s) ^ (k * 0xd1b54a32d192ed03ull);
    s = mix;
    (void)splitmix64(&s);
    uint64_t n = (uint64_t)b->d->n;
    for (int j = 0; j < b->first + b->rows; j++) {
        uint64_t r = splitmix64(&s);
        if (j < b->first) continue;
        int i = (int)(((unsigned __int128)r * n) >> 64), row = j - b->first;
        idx[row] = i;
        memcpy(dst + (size_t)row * b->img, b->d->pixels + (size_t)i * b->img,
               b->img * sizeof(float));
    }
}

static void *worker(void *arg) {
    hb_batcher *b = arg;
    pthread_mutex_lock(&b->mu);
    for (;;) {
        while (!b->pending && !b->quit) pthread_cond_wait(&b->cv, &b->mu);
        if (b->quit) break;
        int slot = 1 - b->cur;
        uint64_t k = b->next;
        pthread_mutex_unlock(&b->mu);
        fill(b, k, b->buf[slot], b->idx[slot]);
        pthread_mutex_lock(&b->mu);
        b->pending = 0;
        b->ready = 1;
        pthread_cond_broadcast(&b->cv);
    }
    pthread_mutex_unlock(&b->mu);
    return NULL;
}

hb_batcher *hb_batcher_new(const hb_dataset *d, int batch, uint64_t seed, uint64_t first_batch) {
    return hb_batcher_new_rows(d, batch, 0, batch, seed, first_batch);
}

hb_batcher *hb_batcher_new_rows(const hb_dataset *d, int batch, int first, int rows,
                                uint64_t seed, uint64_t first_batch) {
    if (!d || d->n < 1 || !d->pixels || batch < 1) return NULL;
    if (first < 0 || rows < 1 || first + rows > batch) return NULL;
    size_t img = (size_t)d->c * d->h * d->w;
    if (img == 0 || (uint64_t)rows * img > HB_DATA_MAX_PIXELS) return NULL;
    hb_batcher *b = calloc(1, sizeof *b);
    if (!b) return NULL;
    b->d = d;
    b->first = first;
    b->rows = rows;
    b->img = img;
    b->seed = seed;
    b->next = first_batch;
    for (int i = 0; i < 2; i++) {
        b->buf[i] = malloc((size_t)rows * img * sizeof(float));
        b->idx[i] = malloc((size_t)rows * sizeof(int));
    }
    if (!b->buf[0] || !b->buf[1] || !b->idx[0] || !b->idx[1]) goto fail;
    pthread_mutex_init(&b->mu, NULL);
    pthread_cond_init(&b->cv, NULL);
    b->cur = 1; /* the worker fills buffer 0 first */
    b->pending = 1;
    if (pthread_create(&b->th, NULL, worker, b) != 0) {
        pthread_mutex_destroy(&b->mu);
        pthread_cond_destroy(&b->cv);
        goto fail;
    }
    return b;
fail:
    for (int i = 0; i < 2; i++) {
        free(b->buf[i]);
        free(b->idx[i]);
    }
    free(b);
    return NULL;
}

const float *hb_batcher_next(hb_batcher *b) {
    pthread_mutex_lock(&b->mu);
    while (!b->ready) pthread_cond_wait(&b->cv, &b->mu);
    b->ready = 0;
    b->cur = 1 - b->cur; /* the buffer just filled */
    b->next++;
    b->pending = 1; /* fill the other one (handed out last time, now released) */
    pthread_cond_broadcast(&b->cv);
    const float *out = b->buf[b->cur];
    pthread_mutex_unlock(&b->mu);
    return out;
}

const int *hb_batcher_indices(const hb_batcher *b) { return b->idx[b->cur]; }

void hb_batcher_free(hb_batcher *b) {
    if (!b) return;
    pthread_mutex_lock(&b->mu);
    b->quit = 1;
    pthread_cond_broadcast(&b->cv);
    pthread_mutex_unlock(&b->mu);
    pthread_join(b->th, NULL);
    pthread_mutex_destroy(&b->mu);
    pthread_cond_destroy(&b->cv);
    for (int i = 0; i < 2; i++) {
        free(b->buf[i]);
        free(b->idx[i]);
    }
    free(b);
}
