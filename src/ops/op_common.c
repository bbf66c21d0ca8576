/* Helpers shared by the op dispatchers. */
#include "ops/op_common.h"

void hb_require(const char *op, const char *what, hb_tensor t, uint64_t n) {
    if (!t.buf) hb_die(1, "%s: %s is missing", op, what);
    if (t.n < n) hb_die(1, "%s: %s holds %u floats, the shape needs %llu", op, what, t.n,
                        (unsigned long long)n);
}

int hb_vec4_ok(const hb_tensor *ts, int count, uint64_t n) {
    if (n % 4) return 0;
    for (int i = 0; i < count; i++)
        if (ts[i].buf && ts[i].off % 4) return 0;
    return 1;
}

int hb_window_out(int in, int k, int stride, int pad) {
    return (in + 2 * pad - k) / (stride > 0 ? stride : 1) + 1;
}

void hb_require_loop_budget(hb_ctx *ctx, const char *op, uint64_t iterations) {
    uint32_t budget = hb_ctx_tuning(ctx)->loop_budget;
    if (budget && iterations > budget)
        hb_die(2, "%s: %llu loop iterations per invocation exceed what %s runs (%u); reduce "
               "batch size or network width", op, (unsigned long long)iterations,
               hb_ctx_device_name(ctx), budget);
}
