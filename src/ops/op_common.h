/* Internal helpers for the op dispatchers in src/ops. */
#ifndef HB_OP_COMMON_H
#define HB_OP_COMMON_H

#include "ops/ops.h"

/* 1 when n is a multiple of 4 and every given tensor (HB_NONE skipped) starts vec4-aligned,
 * so the kernel may bind RGBA32F views. */
int hb_vec4_ok(const hb_tensor *ts, int count, uint64_t n);

/* An optional tensor replaced by a stand-in binding when absent (the kernel ignores it). */
static inline hb_tensor hb_or(hb_tensor t, hb_tensor fallback) { return t.buf ? t : fallback; }

#endif
