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
