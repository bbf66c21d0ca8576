/* Internal helpers for the op dispatchers in src/ops. */
#ifndef HB_OP_COMMON_H
#define HB_OP_COMMON_H

#include "ops/ops.h"

/* 1 when n is a multiple of 4 and every given tensor (HB_NONE skipped) starts vec4-aligned,
 * so the kernel may bind RGBA32F views. */
int hb_vec4_ok(const hb_tensor *ts, int count, uint64_t n);

/* Fatal error when a kernel would run more loop iterations per invocation than the device
 * executes (lavapipe's loop guard would otherwise end it silently with a wrong result). */
void hb_require_loop_budget(hb_ctx *ctx, const char *op, uint64_t iterations);

/* An optional tensor replaced by a stand-in binding when absent (the kernel ignores it). */
static inline hb_tensor hb_or(hb_tensor t, hb_tensor fallback) { return t.buf ? t : fallback; }

#endif
