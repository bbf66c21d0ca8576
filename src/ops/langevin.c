/* Fused Langevin step: shaders/langevin_norm.comp (per-sample ||g'||^2) then
 * shaders/langevin.comp (the update, noise from shaders/philox.glsl); reference:
 * src/ref/ref_langevin.c; test: tests/test_langevin.c. */
#include "ops/op_common.h"

#define NORM_LOCAL 8u /* shaders/langevin_norm.comp's workgroup: one invocation per sample */

typedef struct {
    uint32_t N, Dv, x_off, g_off, s_off;
    float grad_scale, tau2;
} norm_push;

typedef struct {
    uint32_t n, D, x_off, g_off, s_off, c_off;
    float eps, half_eps2, grad_scale, tau2, max_norm;
    uint32_t seed_lo, seed_hi, stream, block0;
} update_push;

void hb_langevin_step(hb_cmd *cmd, hb_tensor x, hb_tensor grad, hb_tensor scratch,
                      hb_tensor counter, int N, int D, const hb_langevin_cfg *cfg) {
    hb_ctx *ctx = hb_cmd_ctx(cmd);
    if (N < 0 || D < 0) hb_die(1, "langevin_step: bad shape N=%d D=%d", N, D);
    uint64_t n64 = (uint64_t)N * (uint64_t)D;
    hb_require("langevin_step", "x", x, n64);
    hb_require("langevin_step", "grad", grad, n64);
    hb_require("langevin_step", "counter", counter, 1);
    int clip = cfg->max_norm > 0;
    if (clip) hb_require("langevin_step", "scratch", scratch, (uint64_t)N);
    if (!n64) return;
    if (cfg->first % 4)
        hb_die(1, "langevin_step: first element %u is not a multiple of 4", cfg->first);
    if (n64 > 0xFFFFFFF0ull) hb_die(1, "langevin_step: N*D too large");
    uint32_t n = (uint32_t)n64;
    x = hb_slice(x, 0, n);
    grad = hb_slice(grad, 0, n);
    float tau2 = 2 * cfg->tau;

    if (clip) {
        hb_tensor rows[2] = {x, grad};
        uint32_t vec = hb_vec4_ok(rows, 2, (uint64_t)D) ? 4 : 1;
        uint32_t spec[1] = {vec};
        hb_pipeline *pl = hb_pipeline_get(ctx, "langevin_norm", vec == 4 ? "RRw" : "rrw", spec, 1);
        hb_tensor s = hb_slice(scratch, 0, (uint32_t)N);
        hb_tensor t[3] = {x, grad, s};
        norm_push pc = {(uint32_t)N, (uint32_t)D / vec, x.off / vec, grad.off / vec, s.off,
                        cfg->grad_scale, tau2};
        hb_dispatch(cmd, "langevin_norm", pl, t, &pc, sizeof pc,
                    ((uint32_t)N + NORM_LOCAL - 1) / NORM_LOCAL, 1, 1);
    }

    hb_tensor big[2] = {x, grad};
    uint32_t vec = hb_vec4_ok(big, 2, n) ? 4 : 1;
    uint32_t local = hb_ctx_tuning(ctx)->local_size;
    uint32_t spec[3] = {local, vec, vec == 4 && D % 4 == 0};
    hb_pipeline *pl = hb_pipeline_get(ctx, "langevin", vec == 4 ? "RRrrW" : "rrrrw", spec, 3);
    hb_tensor s = clip ? hb_slice(scratch, 0, (uint32_t)N) : counter; /* unread stand-in */
    hb_tensor t[5] = {x, grad, s, counter, x};
    update_push pc = {n,
                      (uint32_t)D,
                      x.off / vec,
                      grad.off / vec,
                      s.off,
                      counter.off,
                      cfg->eps,
                      0.5f * cfg->eps * cfg->eps,
                      cfg->grad_scale,
                      tau2,
                      clip ? cfg->max_norm : 0.0f,
                      (uint32_t)cfg->seed,
                      (uint32_t)(cfg->seed >> 32),
                      cfg->stream,
                      cfg->first / 4};
    hb_dispatch_1d(cmd, "langevin_update", pl, t, &pc, sizeof pc, ((uint64_t)n + 3) / 4, local);
}
