/* Linear forward and backward vs src/ref/ref_linear.c, with finite differences of the
 * reference forward for every backward pass. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "ref/ref.h"
#include "testutil.h"

typedef struct {
    int N, in, out, bias;
    uint32_t shift; /* offsets every tensor by this many floats */
} shape;

/* L = sum(y * r) as a function of x, w or b (which = 0, 1, 2) */
typedef struct {
    const shape *s;
    int which;
    double *x, *w, *b, *r, *y;
} loss_ctx;

static double loss(void *u, const double *v) {
    loss_ctx *c = u;
    const shape *s = c->s;
    ref_linear_forward(c->y, c->which == 0 ? v : c->x, c->which == 1 ? v : c->w,
                       c->which == 2 ? v : c->b, s->N, s->in, s->out);
    double l = 0;
    for (size_t i = 0; i < (size_t)s->N * s->out; i++) l += c->y[i] * c->r[i];
    return l;
}

static hb_tensor alloc_shifted(hb_ctx *ctx, size_t n, uint32_t shift) {
    return hb_slice(hb_alloc(ctx, n + shift), shift, (uint32_t)n);
}
/* hb_free needs the allocation itself, not the shifted slice */
static void free_shifted(hb_ctx *ctx, hb_tensor t, uint32_t shift) {
    t.off -= shift;
    t.n += shift;
    hb_free(ctx, t);
}

static void check_shape(hb_ctx *ctx, uint64_t *rng, const shape *s) {
    int N = s->N, in = s->in, out = s->out;
    size_t nx = (size_t)N * in, ny = (size_t)N * out, nw = (size_t)out * in;
    char tag[96], what[160];
    snprintf(tag, sizeof tag, "N%d in%d out%d%s shift%u", N, in, out, s->bias ? " bias" : "",
             s->shift);
    float *x = malloc(nx * 4), *w = malloc(nw * 4), *b = malloc(out * 4), *gy = malloc(ny * 4),
          *prev = malloc(nx * 4);
    tu_rand(rng, x, nx, -1, 1);
    tu_rand(rng, w, nw, -1, 1);
    tu_rand(rng, b, out, -1, 1);
    tu_rand(rng, gy, ny, -1, 1);
    tu_rand(rng, prev, nx, -1, 1);
    double *xd = tu_to_double(x, nx), *wd = tu_to_double(w, nw), *bd = tu_to_double(b, out),
           *gyd = tu_to_double(gy, ny);
    double *want_y = malloc(ny * 8), *want_gx = malloc(nx * 8), *want_gw = malloc(nw * 8),
           *want_gb = malloc(out * 8), *tmp = malloc(nx * 8);
    hb_tensor X = alloc_shifted(ctx, nx, s->shift), Wt = alloc_shifted(ctx, nw, s->shift);
    hb_tensor B = alloc_shifted(ctx, out, s->shift), Y = alloc_shifted(ctx, ny, s->shift);
    hb_tensor GY = alloc_shifted(ctx, ny, s->shift), GX = alloc_shifted(ctx, nx, s->shift);
    hb_tensor GW = alloc_shifted(ctx, nw, s->shift), GB = alloc_shifted(ctx, out, s->shift);
    hb_upload(ctx, X, x);
    hb_upload(ctx, Wt, w);
    hb_upload(ctx, B, b);
    hb_upload(ctx, GY, gy);
    hb_upload(ctx, GX, prev);
    hb_fill_host(ctx, Y, NAN);
    hb_fill_host(ctx, GW, NAN);
    hb_fill_host(ctx, GB, NAN);
    /* float error grows with the reduction length */
    double tol_f = 4e-6 * sqrt(in), tol_d = 4e-6 * sqrt(out), tol_w = 4e-6 * sqrt(N);

    TU_RUN(ctx, cmd, hb_linear_forward(cmd, Y, X, Wt, s->bias ? B : HB_NONE, N, in, out));
    ref_linear_forward(want_y, xd, wd, s->bias ? bd : NULL, N, in, out);
    float *got = tu_download(ctx, Y);
    snprintf(what, sizeof what, "forward %s", tag);
    tu_close(what, got, want_y, ny, 1e-5, tol_f);
    free(got);

    TU_RUN(ctx, cmd, hb_linear_backward_data(cmd, GX, GY, Wt, N, in, out, 0));
    ref_linear_backward_data(want_gx, gyd, wd, N, in, out);
    float *gx = tu_download(ctx, GX);
    snprintf(what, sizeof what, "backward_data %s", tag);
    tu_close(what, gx, want_gx, nx, 1e-5, tol_d);

    hb_upload(ctx, GX, prev);
    TU_RUN(ctx, cmd, hb_linear_backward_data(cmd, GX, GY, Wt, N, in, out, 1));
    for (size_t i = 0; i < nx; i++) tmp[i] = want_gx[i] + prev[i];
    got = tu_download(ctx, GX);
    snprintf(what, sizeof what, "backward_data accumulate %s", tag);
    tu_close(what, got, tmp, nx, 1e-5, tol_d);
    free(got);

    TU_RUN(ctx, cmd, hb_linear_backward_weight(cmd, GW, s->bias ? GB : HB_NONE, X, GY, N, in, out));
    ref_linear_backward_weight(want_gw, want_gb, xd, gyd, N, in, out);
    float *gw = tu_download(ctx, GW), *gb = tu_download(ctx, GB);
    snprintf(what, sizeof what, "backward_weight %s", tag);
    tu_close(what, gw, want_gw, nw, 1e-5, tol_w);
    if (s->bias) {
        snprintf(what, sizeof what, "backward_bias %s", tag);
        tu_close(what, gb, want_gb, out, 1e-5, tol_w);
    }

    /* the loss is linear in each argument: central differences are exact up to rounding */
    loss_ctx lc = {s, 0, xd, wd, bd, gyd, malloc(ny * 8)};
    double *g = tu_to_double(gx, nx);
    snprintf(what, sizeof what, "backward_data fd %s", tag);
    tu_fd_check(what, loss, &lc, xd, nx, g, 12, 1e-2, 1e-4, 10 * tol_d);
    free(g);
    lc.which = 1;
    g = tu_to_double(gw, nw);
    snprintf(what, sizeof what, "backward_weight fd %s", tag);
    tu_fd_check(what, loss, &lc, wd, nw, g, 12, 1e-2, 1e-4, 10 * tol_w);
    free(g);
    if (s->bias) {
        lc.which = 2;
        g = tu_to_double(gb, out);
        snprintf(what, sizeof what, "backward_bias fd %s", tag);
        tu_fd_check(what, loss, &lc, bd, out, g, 12, 1e-2, 1e-4, 10 * tol_w);
        free(g);
    }
    free(lc.y);
    free(gx), free(gw), free(gb);
    hb_tensor all[] = {X, Wt, B, Y, GY, GX, GW, GB};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) free_shifted(ctx, all[i], s->shift);
    free(x), free(w), free(b), free(gy), free(prev), free(xd), free(wd), free(bd), free(gyd);
    free(want_y), free(want_gx), free(want_gw), free(want_gb), free(tmp);
}

int main(void) {
    hb_ctx *ctx = tu_ctx();
    uint64_t rng = 11;
    const shape shapes[] = {
        {1, 1, 1, 1, 0},     {1, 1, 1, 0, 1},    {5, 3, 7, 1, 0},      {5, 7, 3, 0, 3},
        {1, 33, 1, 1, 0},    {5, 1, 33, 1, 1},   {33, 33, 33, 1, 0},   {7, 128, 16, 0, 0},
        {64, 128, 1024, 1, 0}, /* SN-GAN sized: z -> 4x4x64 */
        {64, 1024, 1, 1, 0},   /* critic head */
        {2, 30000, 9, 1, 0},   /* long reduction */
    };
    for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++) check_shape(ctx, &rng, &shapes[i]);
    return tu_finish(ctx);
}
