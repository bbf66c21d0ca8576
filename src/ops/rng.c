/* Counter-based normal RNG: shaders/rng.comp + shaders/philox.glsl; reference:
 * src/ref/ref_rng.c; test: tests/test_rng.c. */
#include "ops/op_common.h"

typedef struct {
    uint32_t n, y_off, c_off, seed_lo, seed_hi, stream, block0;
} rng_push;

void hb_randn(hb_cmd *cmd, hb_tensor out, hb_tensor counter, uint64_t seed, uint32_t stream) {
    hb_randn_at(cmd, out, counter, seed, stream, 0);
}

void hb_randn_at(hb_cmd *cmd, hb_tensor out, hb_tensor counter, uint64_t seed, uint32_t stream,
                 uint32_t first) {
    hb_ctx *ctx = hb_cmd_ctx(cmd);
    if (first % 4) hb_die(1, "randn: first element %u is not a multiple of 4", first);
    hb_require("randn", "output", out, 0);
    hb_require("randn", "counter", counter, 1);
    uint32_t n = out.n;
    if (!n) return;
    uint32_t vec = hb_vec4_ok(&out, 1, n) ? 4 : 1;
    uint32_t local = hb_ctx_tuning(ctx)->local_size;
    uint32_t spec[2] = {local, vec};
    hb_pipeline *pl = hb_pipeline_get(ctx, "rng", vec == 4 ? "rW" : "rw", spec, 2);
    hb_tensor t[2] = {counter, out};
    rng_push pc = {n, out.off / vec, counter.off, (uint32_t)seed, (uint32_t)(seed >> 32),
                     stream, first / 4};
    hb_dispatch_1d(cmd, "randn", pl, t, &pc, sizeof pc, ((uint64_t)n + 3) / 4, local);
}
