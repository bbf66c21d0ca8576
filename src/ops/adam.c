/* Fused Adam + weight EMA + global-norm gradient clip: shaders/adam.comp; reference:
 * src/ref/ref_adam.c; test: tests/test_adam.c. */
#include <math.h>

#include "ops/op_common.h"

typedef struct {
    uint32_t n, p_off, g_off, m_off, v_off, e_off, h_off, s_off;
    float beta1, beta2, eps, decay, max_norm;
} adam_push;

void hb_adam_hyper(float out[4], const hb_adam_cfg *cfg, float lr, int step) {
    if (step < 1) hb_die(1, "hb_adam_hyper: step is %d, must be >= 1", step);
    out[0] = lr;
    out[1] = (float)(1.0 - pow((double)cfg->beta1, step));
    out[2] = (float)(1.0 - pow((double)cfg->beta2, step));
    out[3] = 0;
}

void hb_adam(hb_cmd *cmd, hb_tensor param, hb_tensor grad, hb_tensor m, hb_tensor v,
             hb_tensor ema, hb_tensor hyper, hb_tensor grad_sqnorm, const hb_adam_cfg *cfg) {
    hb_ctx *ctx = hb_cmd_ctx(cmd);
    uint32_t n = param.n;
    hb_require("adam", "param", param, 0);
    hb_require("adam", "grad", grad, n);
    hb_require("adam", "m", m, n);
    hb_require("adam", "v", v, n);
    if (ema.buf) hb_require("adam", "ema", ema, n);
    hb_require("adam", "hyper", hyper, 3);
    uint32_t clip = cfg->max_grad_norm > 0;
    if (clip) hb_require("adam", "grad_sqnorm", grad_sqnorm, 1);
    if (!n) return;
    hb_tensor big[5] = {param, grad, m, v, ema};
    uint32_t vec = hb_vec4_ok(big, 5, n) ? 4 : 1;
    uint32_t local = hb_ctx_tuning(ctx)->local_size;
    uint32_t spec[4] = {local, vec, ema.buf != NULL, clip};
    char r = vec == 4 ? 'R' : 'r', w = vec == 4 ? 'W' : 'w';
    char sig[12] = {r, r, r, r, r, 'r', 'r', w, w, w, w, 0};
    hb_pipeline *pl = hb_pipeline_get(ctx, "adam", sig, spec, 4);
    /* stand-ins for the optional tensors; the kernel never touches them. The absent ema's
     * write binding is m, which the kernel writes anyway, so no extra range counts as written */
    hb_tensor e_in = hb_or(ema, m), e_out = hb_or(ema, m), sq = hb_or(grad_sqnorm, hyper);
    hb_tensor t[11] = {param, grad, m, v, e_in, hyper, sq, param, m, v, e_out};
    adam_push pc = {n / vec,        param.off / vec, grad.off / vec, m.off / vec,
                    v.off / vec,    e_in.off / vec,  hyper.off,      sq.off,
                    cfg->beta1,     cfg->beta2,      cfg->eps,       cfg->ema_decay,
                    cfg->max_grad_norm};
    hb_dispatch_1d(cmd, "adam", pl, t, &pc, sizeof pc, n / vec, local);
}
