/* The general segmented sum behind the reductions (src/ops/reduce.c), shared with hb_mse:
 * out[o] = scale * sum over n < N, p < HW of f(x[e], y[e]), e = (n*C + o)*HW + p, o < C. */
#ifndef HB_OPS_REDUCE_H
#define HB_OPS_REDUCE_H

#include "ops/ops.h"

/* f: x, x^2, x*y, (x-y)^2; the order matches shaders/reduce.comp */
typedef enum { HB_REDUCE_SUM, HB_REDUCE_SUMSQ, HB_REDUCE_PROD, HB_REDUCE_DIFFSQ } hb_reduce_op;

/* y is HB_NONE unless f uses it. name labels the profiler (a string literal). */
void hb_reduce(hb_cmd *cmd, const char *name, hb_reduce_op op, hb_tensor out, hb_tensor x,
               hb_tensor y, uint32_t N, uint32_t C, uint32_t HW, float scale);

#endif
