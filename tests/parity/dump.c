/* The hatebm half of the PyTorch parity test: builds networks, runs forward and backward on
 * the device and writes weights, inputs and every result to OUTDIR/CASE/case.safetensors, which
 * tests/parity/check.py recomputes with PyTorch (bench/hatebm_torch.py) and compares. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "nn/models.h"

typedef struct {
    const char *name, *kind;
    int res, nch, ngf_hat, ngf_gen, batch;
    float gen_factor;
} parity_case;

static const parity_case CASES[] = {
    {"sngan32_c1_ngf32", "sngan", 32, 1, 32, 32, 3, 2.0f},
    {"sngan32_c3_ngf32", "sngan", 32, 3, 32, 32, 2, 2.0f},
    {"sngan32_c1_ngf64", "sngan", 32, 1, 64, 64, 2, 2.0f},
    {"sngan32_c3_ngf64", "sngan", 32, 3, 64, 64, 2, 1.0f},
    {"sngan64_c3_ngf32", "sngan", 64, 3, 32, 32, 2, 2.0f},
    {"sngan128_c3_ngf32", "sngan", 128, 3, 32, 32, 1, 2.0f},
    {"retrofit_c3_ngf16", "retrofit", 32, 3, 0, 16, 2, 1.0f},
    {"classifier_c1_w16", "classifier", 32, 1, 16, 0, 5, 1.0f},
};

static uint64_t rng_state = 7;
static float uniform(float lo, float hi) {
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return lo + (hi - lo) * (float)((rng_state >> 40) * 0x1p-24);
}

static float *random_floats(size_t n, float lo, float hi) {
    float *x = malloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++) x[i] = uniform(lo, hi);
    return x;
}

/* Moves every parameter off its initial value so that biases and batch-norm affines, which
 * start at 0 and 1, are exercised too. */
static void perturb(hb_graph *g, uint64_t seed) {
    hb_g_init_params(g, seed);
    float *flat = hb_g_download_flat(g, &g->weights);
    for (uint32_t i = 0; i < g->nparam_floats; i++) flat[i] += uniform(-0.1f, 0.1f);
    hb_g_upload_flat(g, &g->weights, flat);
    free(flat);
}

static float *download(hb_ctx *ctx, hb_tensor t) {
    float *x = malloc((t.n ? t.n : 1) * sizeof *x);
    hb_download(ctx, t, x);
    return x;
}

/* The outputs to compare, kept alive until the file is written. */
typedef struct {
    float *bufs[16];
    int n;
} keep;
static float *kept(keep *k, float *p) { return k->bufs[k->n++] = p; }

static void add(hb_st_writer *w, const char *name, float *data, int ndim, int64_t a, int64_t b,
                int64_t c, int64_t d) {
    int64_t shape[4] = {a, b, c, d};
    hb_st_add(w, name, ndim, shape, data);
}

static void run_sngan(hb_ctx *ctx, const parity_case *pc, hb_st_writer *w, keep *k) {
    int N = pc->batch, R = pc->res, C = pc->nch;
    hb_graph *hat = hb_build_hat(ctx, R, C, pc->ngf_hat);
    hb_graph *gen = hb_build_gen(ctx, R, C, pc->ngf_gen, pc->gen_factor);
    hb_g_finalize(hat, N);
    hb_g_finalize(gen, N);
    perturb(hat, 1);
    perturb(gen, 2);
    size_t nx = (size_t)N * C * R * R;
    float *z = kept(k, random_floats((size_t)N * HB_NZ, -2, 2)), *y = kept(k, random_floats(nx, -0.2f, 0.2f));
    hb_upload(ctx, hb_g_value(gen, 0, N), z);
    hb_tensor Y = hb_alloc(ctx, nx);
    hb_upload(ctx, Y, y);

    hb_cmd *cmd = hb_cmd_create(ctx);
    hb_cmd_begin(cmd);
    hb_g_forward(gen, cmd, N);
    hb_add(cmd, hb_g_value(hat, 0, N), hb_g_value(gen, gen->output, N), Y); /* x = G(z) + y */
    hb_g_forward(hat, cmd, N);
    hb_fill(cmd, hb_g_grad(hat, hat->output, N), 1.0f); /* d sum(E) / dE */
    hb_g_backward(hat, cmd, N, 1, 1);
    hb_cmd_copy(cmd, hb_g_grad(gen, gen->output, N), hb_g_grad(hat, 0, N));
    hb_g_backward(gen, cmd, N, 1, 1);
    hb_cmd_end(cmd);
    hb_cmd_run(cmd);
    hb_cmd_destroy(cmd);

    add(w, "in.z", z, 2, N, HB_NZ, 0, 0);
    add(w, "in.y", y, 4, N, C, R, R);
    add(w, "out.x", kept(k, download(ctx, hb_g_value(hat, 0, N))), 4, N, C, R, R);
    add(w, "out.energy", kept(k, download(ctx, hb_g_value(hat, hat->output, N))), 1, N, 0, 0, 0);
    add(w, "out.dHdx", kept(k, download(ctx, hb_g_grad(hat, 0, N))), 4, N, C, R, R);
    add(w, "out.dHdz", kept(k, download(ctx, hb_g_grad(gen, 0, N))), 2, N, HB_NZ, 0, 0);
    /* dH/dx again as the Langevin steps take it: without parameter gradients, which lets the
     * graph fuse more (pooling into the conv before it) */
    cmd = hb_cmd_create(ctx);
    hb_cmd_begin(cmd);
    hb_fill(cmd, hb_g_grad(hat, hat->output, N), 1.0f);
    hb_g_backward(hat, cmd, N, 0, 1);
    hb_cmd_end(cmd);
    hb_cmd_run(cmd);
    hb_cmd_destroy(cmd);
    add(w, "out.dHdx_sampling", kept(k, download(ctx, hb_g_grad(hat, 0, N))), 4, N, C, R, R);
    hb_g_add_tensors(hat, w, "hat.", kept(k, hb_g_download_flat(hat, &hat->weights)));
    hb_g_add_tensors(gen, w, "gen.", kept(k, hb_g_download_flat(gen, &gen->weights)));
    hb_g_add_tensors(hat, w, "grad.hat.", kept(k, hb_g_download_flat(hat, &hat->grads)));
    hb_g_add_tensors(gen, w, "grad.gen.", kept(k, hb_g_download_flat(gen, &gen->grads)));
    hb_free(ctx, Y);
    hb_g_free(hat);
    hb_g_free(gen);
}

static void run_retrofit(hb_ctx *ctx, const parity_case *pc, hb_st_writer *w, keep *k) {
    int N = pc->batch, C = pc->nch;
    hb_graph *enc = hb_build_encoder(ctx, C, pc->ngf_gen);
    hb_graph *dec = hb_build_decoder(ctx, C, pc->ngf_gen, pc->gen_factor);
    hb_g_finalize(enc, N);
    hb_g_finalize(dec, N);
    perturb(enc, 3);
    perturb(dec, 4);
    size_t nx = (size_t)N * C * 32 * 32;
    float *x = kept(k, random_floats(nx, -1, 1)), *r = kept(k, random_floats(nx, -1, 1));
    hb_upload(ctx, hb_g_value(enc, 0, N), x);
    hb_upload(ctx, hb_g_grad(dec, dec->output, N), r); /* dL/dxr for L = sum(r * xr) */

    hb_cmd *cmd = hb_cmd_create(ctx);
    hb_cmd_begin(cmd);
    hb_g_forward(enc, cmd, N);
    hb_cmd_copy(cmd, hb_g_value(dec, 0, N), hb_g_value(enc, enc->output, N));
    hb_g_forward(dec, cmd, N);
    hb_g_backward(dec, cmd, N, 1, 1);
    hb_cmd_copy(cmd, hb_g_grad(enc, enc->output, N), hb_g_grad(dec, 0, N));
    hb_g_backward(enc, cmd, N, 1, 1);
    hb_cmd_end(cmd);
    hb_cmd_run(cmd);
    hb_cmd_destroy(cmd);

    add(w, "in.x", x, 4, N, C, 32, 32);
    add(w, "in.r", r, 4, N, C, 32, 32);
    add(w, "out.z", kept(k, download(ctx, hb_g_value(enc, enc->output, N))), 4, N, 1, 16, 16);
    add(w, "out.xr", kept(k, download(ctx, hb_g_value(dec, dec->output, N))), 4, N, C, 32, 32);
    add(w, "out.dLdx", kept(k, download(ctx, hb_g_grad(enc, 0, N))), 4, N, C, 32, 32);
    hb_g_add_tensors(enc, w, "enc.", kept(k, hb_g_download_flat(enc, &enc->weights)));
    hb_g_add_tensors(dec, w, "dec.", kept(k, hb_g_download_flat(dec, &dec->weights)));
    hb_g_add_tensors(enc, w, "grad.enc.", kept(k, hb_g_download_flat(enc, &enc->grads)));
    hb_g_add_tensors(dec, w, "grad.dec.", kept(k, hb_g_download_flat(dec, &dec->grads)));
    hb_g_free(enc);
    hb_g_free(dec);
}

/* The FID classifier: logits, features, per-row cross-entropy, and the gradients of its mean
 * (the softmax cross-entropy op seeds the backward pass, as in training). */
static void run_classifier(hb_ctx *ctx, const parity_case *pc, hb_st_writer *w, keep *k) {
    int N = pc->batch, C = pc->nch, K = HB_CLASSIFIER_CLASSES, F = HB_CLASSIFIER_FEATURES, feat;
    hb_graph *g = hb_build_classifier(ctx, C, pc->ngf_hat, &feat);
    hb_g_finalize(g, N);
    perturb(g, 5);
    size_t nx = (size_t)N * C * 32 * 32;
    float *x = kept(k, random_floats(nx, -1, 1)), *labels = kept(k, malloc((size_t)N * 4));
    for (int i = 0; i < N; i++) labels[i] = (float)((i * 7 + 3) % K);
    hb_upload(ctx, hb_g_value(g, 0, N), x);
    hb_tensor lab = hb_alloc(ctx, (size_t)N), loss = hb_alloc(ctx, (size_t)N);
    hb_tensor correct = hb_alloc(ctx, (size_t)N);
    hb_upload(ctx, lab, labels);

    hb_cmd *cmd = hb_cmd_create(ctx);
    hb_cmd_begin(cmd);
    hb_g_forward(g, cmd, N);
    hb_softmax_xent(cmd, loss, correct, hb_g_grad(g, g->output, N), hb_g_value(g, g->output, N),
                    lab, N, K, 1.0f / N);
    hb_g_backward(g, cmd, N, 1, 1);
    hb_cmd_end(cmd);
    hb_cmd_run(cmd);
    hb_cmd_destroy(cmd);

    add(w, "in.x", x, 4, N, C, 32, 32);
    add(w, "in.labels", labels, 1, N, 0, 0, 0);
    add(w, "out.logits", kept(k, download(ctx, hb_g_value(g, g->output, N))), 2, N, K, 0, 0);
    add(w, "out.features", kept(k, download(ctx, hb_g_value(g, feat, N))), 2, N, F, 0, 0);
    add(w, "out.loss", kept(k, download(ctx, loss)), 1, N, 0, 0, 0);
    add(w, "out.dLdx", kept(k, download(ctx, hb_g_grad(g, 0, N))), 4, N, C, 32, 32);
    hb_g_add_tensors(g, w, "cls.", kept(k, hb_g_download_flat(g, &g->weights)));
    hb_g_add_tensors(g, w, "grad.cls.", kept(k, hb_g_download_flat(g, &g->grads)));
    hb_free(ctx, lab), hb_free(ctx, loss), hb_free(ctx, correct);
    hb_g_free(g);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: parity_dump OUTDIR\n");
        return 2;
    }
    hb_ctx_opts o = {.validate = -1, .quiet = 1};
    hb_ctx *ctx = hb_ctx_create(&o);
    mkdir(argv[1], 0755);
    int failed = 0;
    for (size_t c = 0; c < sizeof CASES / sizeof *CASES; c++) {
        const parity_case *pc = &CASES[c];
        char dir[1024], path[1100], err[512], buf[32];
        snprintf(dir, sizeof dir, "%s/%s", argv[1], pc->name);
        mkdir(dir, 0755);
        snprintf(path, sizeof path, "%s/case.safetensors", dir);
        hb_st_writer *w = hb_st_writer_new();
        keep k = {.n = 0};
        hb_st_meta(w, "kind", pc->kind);
        snprintf(buf, sizeof buf, "%d", pc->res), hb_st_meta(w, "res", buf);
        snprintf(buf, sizeof buf, "%d", pc->nch), hb_st_meta(w, "nch", buf);
        snprintf(buf, sizeof buf, "%d", pc->ngf_hat), hb_st_meta(w, "ngf_hat", buf);
        snprintf(buf, sizeof buf, "%d", pc->ngf_gen), hb_st_meta(w, "ngf_gen", buf);
        snprintf(buf, sizeof buf, "%g", pc->gen_factor), hb_st_meta(w, "gen_factor", buf);
        if (pc->kind[0] == 's') run_sngan(ctx, pc, w, &k);
        else if (pc->kind[0] == 'c') run_classifier(ctx, pc, w, &k);
        else run_retrofit(ctx, pc, w, &k);
        if (hb_st_write(w, path, err, sizeof err) != 0) {
            fprintf(stderr, "parity_dump: %s\n", err);
            failed = 1;
        } else {
            printf("wrote %s\n", path);
        }
        hb_st_writer_free(w);
        for (int i = 0; i < k.n; i++) free(k.bufs[i]);
    }
    uint32_t msgs = hb_validation_messages(ctx);
    hb_ctx_destroy(ctx);
    if (msgs) fprintf(stderr, "parity_dump: %u validation message(s)\n", msgs);
    return failed || msgs ? 1 : 0;
}
