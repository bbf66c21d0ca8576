/* Sphere projection vs src/ref/ref_sphere.c (float and vec4 paths), the backward vs central
 * finite differences of the reference forward, the per-sample norms left in scratch, and an
 * all-zero row (no NaN; gradient there is sqrt(D)/1e-6 * gz). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/sphere.h"
#include "ref/ref_sphere.h"
#include "testutil.h"

typedef struct {
    const double *r;
    int N, D;
} loss_ctx;

/* L = sum(r * z(x)): its gradient is the backward pass with gz = r */
static double loss(void *u, const double *x) {
    loss_ctx *c = u;
    size_t n = (size_t)c->N * c->D;
    double *z = malloc(n * sizeof *z), s = 0;
    ref_sphere(z, x, c->N, c->D);
    for (size_t i = 0; i < n; i++) s += c->r[i] * z[i];
    free(z);
    return s;
}

static int all_finite(const float *x, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i])) return 0;
    return 1;
}

/* zero_row >= 0 sets that sample to 0; shift > 0 offsets every tensor (float path) */
static void check_shape(hb_ctx *ctx, uint64_t *rng, int N, int D, uint32_t shift, int zero_row) {
    size_t n = (size_t)N * D;
    char what[160];
    float *x = malloc(n * 4), *gz = malloc(n * 4), *got;
    tu_rand(rng, x, n, -2, 2);
    tu_rand(rng, gz, n, -1, 1);
    /* keep |x| >= 0.25 so D = 1 (where gx is a near-cancellation of two 1/|x| terms) stays
     * well conditioned in float */
    for (size_t i = 0; i < n; i++)
        if (fabsf(x[i]) < 0.25f) x[i] += x[i] < 0 ? -0.5f : 0.5f;
    if (zero_row >= 0) memset(x + (size_t)zero_row * D, 0, (size_t)D * 4);
    double *xd = tu_to_double(x, n), *gzd = tu_to_double(gz, n);
    double *want = malloc(n * 8), *norms = malloc(2 * N * 8);
    hb_tensor base[5] = {hb_alloc(ctx, n + shift), hb_alloc(ctx, n + shift),
                         hb_alloc(ctx, n + shift), hb_alloc(ctx, n + shift),
                         hb_alloc(ctx, 2 * N + shift)};
    hb_tensor X = hb_slice(base[0], shift, (uint32_t)n);
    hb_tensor Z = hb_slice(base[1], shift, (uint32_t)n);
    hb_tensor GZ = hb_slice(base[2], shift, (uint32_t)n);
    hb_tensor GX = hb_slice(base[3], shift, (uint32_t)n);
    hb_tensor S = hb_slice(base[4], shift, 2 * (uint32_t)N);
    hb_upload(ctx, X, x);
    hb_upload(ctx, GZ, gz);

    TU_RUN(ctx, cmd, hb_sphere(cmd, Z, X, S, N, D));
    ref_sphere(want, xd, N, D);
    got = tu_download(ctx, Z);
    snprintf(what, sizeof what, "sphere N%d D%d shift%u%s", N, D, shift,
             zero_row >= 0 ? " zero row" : "");
    tu_check(all_finite(got, n), "%s: finite", what);
    tu_close(what, got, want, n, 1e-5, 1e-6);
    free(got);
    for (int s = 0; s < N; s++) {
        double ss = 0;
        for (int j = 0; j < D; j++) ss += xd[(size_t)s * D + j] * xd[(size_t)s * D + j];
        norms[s] = sqrt(ss);
    }
    got = tu_download(ctx, S);
    snprintf(what, sizeof what, "sphere N%d D%d shift%u: scratch holds ||x||", N, D, shift);
    tu_close(what, got, norms, N, 1e-5, 1e-6);
    free(got);

    TU_RUN(ctx, cmd, hb_sphere_backward(cmd, GX, GZ, X, S, N, D));
    ref_sphere_backward(want, gzd, xd, N, D);
    got = tu_download(ctx, GX);
    snprintf(what, sizeof what, "sphere_backward N%d D%d shift%u%s", N, D, shift,
             zero_row >= 0 ? " zero row" : "");
    tu_check(all_finite(got, n), "%s: finite", what);
    tu_close(what, got, want, n, 1e-4, 1e-5);
    if (zero_row < 0) { /* FD through the kink-free region only */
        double *gotd = tu_to_double(got, n);
        loss_ctx lc = {gzd, N, D};
        tu_fd_check(what, loss, &lc, xd, n, gotd, 16, 1e-4, 1e-3, 1e-5);
        free(gotd);
    }

    /* deterministic: a second run gives the same bits */
    TU_RUN(ctx, cmd, hb_sphere_backward(cmd, GX, GZ, X, S, N, D));
    float *again = tu_download(ctx, GX);
    tu_check(memcmp(got, again, n * 4) == 0, "sphere_backward N%d D%d: second run bit-identical",
             N, D);
    free(got), free(again);

    for (int i = 0; i < 5; i++) hb_free(ctx, base[i]);
    free(x), free(gz), free(xd), free(gzd), free(want), free(norms);
}

int main(void) {
    hb_ctx *ctx = tu_ctx();
    uint64_t rng = 7;
    const int Ns[] = {1, 5}, Ds[] = {1, 7, 256, 3072};
    for (int a = 0; a < 2; a++)
        for (int b = 0; b < 4; b++)
            for (uint32_t shift = 0; shift <= 1; shift++)
                check_shape(ctx, &rng, Ns[a], Ds[b], shift, -1);
    /* x = 0 rows: no NaN, z = 0, gx = sqrt(D)/1e-6 * gz */
    check_shape(ctx, &rng, 3, 256, 0, 1);
    check_shape(ctx, &rng, 3, 7, 1, 0);
    check_shape(ctx, &rng, 1, 3072, 0, 0);
    return tu_finish(ctx);
}
