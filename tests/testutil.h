/* Helpers shared by the tests: a validated context, random data, comparisons against the
 * double-precision references, and central finite differences. */
#ifndef HB_TESTUTIL_H
#define HB_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "ops/ops.h"

/* Context with validation on unless HATEBM_VALIDATE=0; every test uses this. */
hb_ctx *tu_ctx(void);
/* Destroys ctx; returns the process exit code: nonzero if any check failed or the validation
 * layer reported anything. Prints "N passed, N failed". */
int tu_finish(hb_ctx *ctx);

/* For tests without a Vulkan context: prints "N passed, N failed" and returns the exit code. */
int tu_summary(void);

/* This test's scratch directory under /tmp, made on first use; tu_summary() removes it. */
const char *tu_tmpdir(void);
/* tu_tmpdir()/name, in one of 8 rotating buffers (a few may be in use at once). */
const char *tu_tmp_path(const char *name);
/* Entries of dir whose name contains ".tmp-": what a failed atomic write must not leave. */
int tu_temp_files(const char *dir);

/* Deterministic uniform floats in [lo, hi). */
void tu_rand(uint64_t *state, float *x, size_t n, float lo, float hi);
double *tu_to_double(const float *x, size_t n);
hb_tensor tu_upload(hb_ctx *ctx, const float *x, size_t n);
float *tu_download(hb_ctx *ctx, hb_tensor t); /* malloc'ed */

/* Records a check. */
int tu_check(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Passes when |got - want| <= atol + rtol*|want| for all i; reports the worst element. */
int tu_close(const char *what, const float *got, const double *want, size_t n, double rtol,
             double atol);

/* Central difference d f / d x[i] with step h (x is restored). */
typedef double (*tu_fn)(void *user, const double *x);
double tu_fd(tu_fn f, void *user, double *x, size_t i, double h);
/* Checks analytic gradient `grad` of f at up to `samples` evenly spread indices of x. */
int tu_fd_check(const char *what, tu_fn f, void *user, double *x, size_t n, const double *grad,
                int samples, double h, double rtol, double atol);

/* The usual loss for checking a backward pass on an NCHW map f: L = sum(r * f(x)), whose
 * gradient is the backward pass with gy = r. Pass tu_map_loss as the tu_fn and a
 * tu_map_ctx as user. */
typedef void (*tu_map_fn)(double *y, const double *x, int N, int C, int H, int W);
typedef struct {
    tu_map_fn fwd;
    const double *r;
    int N, C, H, W;
    size_t nout;
} tu_map_ctx;
double tu_map_loss(void *user, const double *x);

/* Records ops into a fresh command buffer, runs it and waits. */
#define TU_RUN(ctx, cmdvar, body)                                                          \
    do {                                                                                   \
        hb_cmd *cmdvar = hb_cmd_create(ctx);                                               \
        hb_cmd_begin(cmdvar);                                                              \
        body;                                                                              \
        hb_cmd_end(cmdvar);                                                                \
        hb_cmd_run(cmdvar);                                                                \
        hb_cmd_destroy(cmdvar);                                                            \
    } while (0)

#endif
