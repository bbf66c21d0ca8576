#define _POSIX_C_SOURCE 200809L
#include "testutil.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>

static int passed, failed;

hb_ctx *tu_ctx(void) {
    hb_ctx_opts o = {.validate = -1, .quiet = 1};
    const char *v = getenv("HATEBM_VALIDATE");
    if (!v) o.validate = 1;
    return hb_ctx_create(&o);
}

int tu_finish(hb_ctx *ctx) {
    uint32_t msgs = hb_validation_messages(ctx);
    hb_ctx_destroy(ctx);
    tu_check(msgs == 0, "validation layer reported %u message(s)", msgs);
    return tu_summary();
}

static char tmpdir[64];

const char *tu_tmpdir(void) {
    if (!tmpdir[0]) {
        snprintf(tmpdir, sizeof tmpdir, "/tmp/hatebm-test-XXXXXX");
        if (!mkdtemp(tmpdir)) {
            perror("mkdtemp");
            exit(1);
        }
    }
    return tmpdir;
}

const char *tu_tmp_path(const char *name) {
    static char buf[8][300];
    static int k;
    char *p = buf[k++ & 7];
    snprintf(p, sizeof buf[0], "%s/%s", tu_tmpdir(), name);
    return p;
}

int tu_temp_files(const char *dir) {
    DIR *dp = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (dp && (e = readdir(dp)))
        if (strstr(e->d_name, ".tmp-")) n++;
    if (dp) closedir(dp);
    return n;
}

int tu_summary(void) {
    if (tmpdir[0]) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}

static uint64_t next(uint64_t *s) { /* splitmix64 */
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void tu_rand(uint64_t *state, float *x, size_t n, float lo, float hi) {
    for (size_t i = 0; i < n; i++) x[i] = lo + (hi - lo) * (float)((next(state) >> 40) * 0x1p-24);
}

double *tu_to_double(const float *x, size_t n) {
    double *d = malloc((n ? n : 1) * sizeof *d);
    for (size_t i = 0; i < n; i++) d[i] = x[i];
    return d;
}

hb_tensor tu_upload(hb_ctx *ctx, const float *x, size_t n) {
    hb_tensor t = hb_alloc(ctx, n);
    hb_upload(ctx, t, x);
    return t;
}

float *tu_download(hb_ctx *ctx, hb_tensor t) {
    float *x = malloc((t.n ? t.n : 1) * sizeof *x);
    hb_download(ctx, t, x);
    return x;
}

int tu_check(int ok, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    printf("%s: ", ok ? "ok" : "FAIL");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    ok ? passed++ : failed++;
    return ok;
}

int tu_close(const char *what, const float *got, const double *want, size_t n, double rtol,
             double atol) {
    size_t worst = 0;
    double worst_excess = -INFINITY, max_abs = 0;
    int finite = 1;
    for (size_t i = 0; i < n; i++) {
        double err = fabs((double)got[i] - want[i]);
        if (!isfinite(got[i])) finite = 0;
        double excess = err - (atol + rtol * fabs(want[i]));
        if (excess > worst_excess) worst_excess = excess, worst = i;
        if (err > max_abs) max_abs = err;
    }
    if (n == 0) worst_excess = 0;
    return tu_check(finite && worst_excess <= 0,
                    "%s: %zu values, max abs err %.3g (worst at %zu: got %.9g want %.9g)", what, n,
                    max_abs, worst, n ? got[worst] : 0.0, n ? want[worst] : 0.0);
}

double tu_fd(tu_fn f, void *user, double *x, size_t i, double h) {
    double keep = x[i];
    x[i] = keep + h;
    double fp = f(user, x);
    x[i] = keep - h;
    double fm = f(user, x);
    x[i] = keep;
    return (fp - fm) / (2 * h);
}

int tu_fd_check(const char *what, tu_fn f, void *user, double *x, size_t n, const double *grad,
                int samples, double h, double rtol, double atol) {
    size_t step = n / (size_t)samples ? n / (size_t)samples : 1;
    double worst = 0;
    int ok = 1;
    for (size_t i = 0; i < n; i += step) {
        double fd = tu_fd(f, user, x, i, h);
        double err = fabs(fd - grad[i]);
        if (err > atol + rtol * fabs(fd)) ok = 0;
        if (err > worst) worst = err;
    }
    return tu_check(ok, "%s: finite differences at %zu points, max abs err %.3g", what,
                    (n + step - 1) / step, worst);
}

double tu_map_loss(void *user, const double *x) {
    tu_map_ctx *c = user;
    double *y = malloc(c->nout * sizeof *y), s = 0;
    c->fwd(y, x, c->N, c->C, c->H, c->W);
    for (size_t i = 0; i < c->nout; i++) s += c->r[i] * y[i];
    free(y);
    return s;
}
