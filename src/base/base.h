/* Project-wide helpers with no dependencies of their own: the error exit, a monotonic clock,
 * mkdir -p and the scan for NaN or Inf. Every layer (Vulkan runtime, ops, trainers, tools)
 * may include this header. */
#ifndef HB_BASE_H
#define HB_BASE_H

#include <stddef.h>

/* Fatal error: one line, exit code 2 for user errors, 1 for internal ones. */
void hb_die(int code, const char *fmt, ...) __attribute__((noreturn, format(printf, 2, 3)));

/* Seconds on a monotonic clock, for durations. */
double hb_now_s(void);

/* mkdir -p: 0, or -1 with errno set. */
int hb_mkdir_p(const char *path);

/* Index of the first NaN or Inf in x[0..n), or -1 when all are finite. */
long hb_first_nonfinite(const float *x, size_t n);

#endif
