/* Sphere projection: shaders/sphere.comp; reference: src/ref/ref_sphere.c;
 * test: tests/test_sphere.c. */
#include <math.h>

#include "ops/op_common.h"
#include "ops/sphere.h"

#define SPHERE_EPS 1e-6f

typedef struct {
    uint32_t N, Dv, x_off, g_off, y_off, s_off;
    float sqrtD, eps;
} sphere_push;

/* backward: y = gx, g = gz; forward: y = z, g = HB_NONE */
static void sphere(hb_cmd *cmd, const char *name, int backward, hb_tensor y, hb_tensor g,
                   hb_tensor x, hb_tensor scratch, int N, int D) {
    if (N < 0 || D < 0) hb_die(1, "%s: bad shape N=%d D=%d", name, N, D);
    uint64_t n64 = (uint64_t)N * (uint64_t)D;
    hb_require(name, "x", x, n64);
    hb_require(name, backward ? "gx" : "z", y, n64);
    if (backward) hb_require(name, "gz", g, n64);
    hb_require(name, "scratch", scratch, 2 * (uint64_t)N);
    if (!n64) return;
    if (n64 > 0xFFFFFFF0ull) hb_die(1, "%s: N*D too large", name);
    hb_ctx *ctx = hb_cmd_ctx(cmd);
    uint32_t n = (uint32_t)n64;
    x = hb_slice(x, 0, n);
    y = hb_slice(y, 0, n);
    g = backward ? hb_slice(g, 0, n) : x;
    hb_tensor rows[3] = {x, y, g};
    uint32_t vec = hb_vec4_ok(rows, 3, (uint64_t)D) ? 4 : 1;
    uint32_t spec[2] = {vec, (uint32_t)backward};
    hb_pipeline *pl = hb_pipeline_get(ctx, "sphere", vec == 4 ? "RRwW" : "rrww", spec, 2);
    hb_tensor s = hb_slice(scratch, 0, 2 * (uint32_t)N);
    hb_tensor t[4] = {x, g, s, y};
    sphere_push pc = {(uint32_t)N,     (uint32_t)D / vec, x.off / vec,      g.off / vec,
                      y.off / vec,     s.off,             sqrtf((float)D), SPHERE_EPS};
    hb_dispatch(cmd, name, pl, t, &pc, sizeof pc, (uint32_t)N, 1, 1);
}

void hb_sphere(hb_cmd *cmd, hb_tensor z, hb_tensor x, hb_tensor scratch, int N, int D) {
    sphere(cmd, "sphere", 0, z, HB_NONE, x, scratch, N, D);
}
void hb_sphere_backward(hb_cmd *cmd, hb_tensor gx, hb_tensor gz, hb_tensor x, hb_tensor scratch,
                        int N, int D) {
    sphere(cmd, "sphere_backward", 1, gx, gz, x, scratch, N, D);
}
