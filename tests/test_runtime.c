/* The runtime itself: allocator, replayed recordings, barriers, dispatch splitting, the
 * profiler and the pipeline cache. Run also with HATEBM_FORCE_STAGING=1 (staging copies). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "testutil.h"

static void test_allocator(hb_ctx *ctx) {
    hb_tensor a = hb_alloc(ctx, 1000), b = hb_alloc(ctx, 3), c = hb_alloc(ctx, 5000);
    tu_check(a.off % 16 == 0 && b.off % 16 == 0 && c.off % 16 == 0, "allocations are 64-byte aligned");
    tu_check(!hb_overlaps(a, b) && !hb_overlaps(b, c) && !hb_overlaps(a, c), "allocations are disjoint");
    uint32_t boff = b.off;
    hb_free(ctx, b);
    hb_tensor b2 = hb_alloc(ctx, 3);
    tu_check(b2.off == boff && b2.buf == b.buf, "a freed range is reused");
    size_t before = hb_device_bytes(ctx);
    for (int i = 0; i < 1000; i++) {
        hb_tensor t = hb_alloc(ctx, 4096 + (size_t)i);
        hb_free(ctx, t);
    }
    tu_check(hb_device_bytes(ctx) == before, "1000 alloc/free cycles leave device memory at %zu bytes (now %zu)",
             before, hb_device_bytes(ctx));
    float *z = tu_download(ctx, b2);
    tu_check(z[0] == 0 && z[1] == 0 && z[2] == 0, "new allocations are zeroed");
    free(z);
    hb_free(ctx, a), hb_free(ctx, b2), hb_free(ctx, c);
}

static void test_replay_and_barriers(hb_ctx *ctx) {
    enum { n = 777 };
    float x[n];
    for (int i = 0; i < n; i++) x[i] = (float)(i % 13) - 6;
    hb_tensor X = tu_upload(ctx, x, n), Y = hb_alloc(ctx, n), T = hb_alloc(ctx, n);
    /* within one recording: a chain of dependent dispatches (read-after-write), then a
     * write-after-read: T = 2*Y reads Y, then Y is overwritten */
    hb_cmd *cmd = hb_cmd_create(ctx);
    hb_cmd_begin(cmd);
    hb_axpby(cmd, Y, X, 1, 0);
    for (int k = 0; k < 10; k++) hb_axpby(cmd, Y, Y, 2, 0);
    hb_axpby(cmd, T, Y, 2, 0);
    hb_fill(cmd, Y, 0);
    hb_cmd_end(cmd);
    hb_cmd_run(cmd);
    float *t = tu_download(ctx, T), *y = tu_download(ctx, Y);
    int ok = 1;
    for (int i = 0; i < n; i++) ok &= t[i] == x[i] * 2048.0f && y[i] == 0;
    tu_check(ok, "dependent dispatches in one recording see each other's results");
    free(t), free(y);

    /* unrelated ops on disjoint ranges of one buffer: the validation layer sees whole-buffer
     * views, so the runtime must order them too (tu_finish counts its messages) */
    hb_tensor U = hb_alloc(ctx, n), V = hb_alloc(ctx, n);
    tu_check(U.buf == V.buf && X.buf == U.buf, "test tensors share one buffer");
    hb_cmd_begin(cmd);
    hb_relu(cmd, U, X);
    hb_tanh(cmd, V, T, 1.0f);
    hb_relu(cmd, T, X);
    hb_cmd_end(cmd);
    hb_cmd_run(cmd);
    hb_free(ctx, U), hb_free(ctx, V);

    /* replay: record Y += X once, submit 10 times */
    hb_cmd_begin(cmd);
    hb_axpby(cmd, Y, X, 1, 1);
    hb_cmd_end(cmd);
    for (int r = 0; r < 10; r++) hb_cmd_run(cmd);
    y = tu_download(ctx, Y);
    ok = 1;
    for (int i = 0; i < n; i++) ok &= y[i] == 10 * x[i];
    tu_check(ok, "a recording replayed 10 times runs 10 times");
    free(y);

    /* transfers are ordered with dispatches too */
    hb_cmd_begin(cmd);
    hb_cmd_zero(cmd, T);
    hb_axpby(cmd, T, X, 3, 1);
    hb_cmd_copy(cmd, Y, T);
    hb_axpby(cmd, Y, X, 1, 1);
    hb_cmd_end(cmd);
    hb_cmd_run(cmd);
    y = tu_download(ctx, Y);
    ok = 1;
    for (int i = 0; i < n; i++) ok &= y[i] == 4 * x[i];
    tu_check(ok, "fill and copy are ordered against dispatches");
    free(y);
    hb_cmd_destroy(cmd);
}

static void test_large_dispatch(hb_ctx *ctx) {
    /* more 8-wide groups than maxComputeWorkGroupCount[0] allows in one call */
    uint32_t maxx = hb_ctx_limits(ctx)->maxComputeWorkGroupCount[0];
    uint64_t n64 = (uint64_t)maxx * 8 + 1000;
    if (n64 > 8u << 20) n64 = 8u << 20; /* devices with huge limits: the split path is moot */
    uint32_t n = (uint32_t)n64;
    hb_tensor Y = hb_alloc(ctx, n);
    hb_pipeline *p = hb_pipeline_get(ctx, "iota", "w", NULL, 0);
    struct { uint32_t n, y_off; float base; } pc = {n, Y.off, 0.5f};
    TU_RUN(ctx, cmd, hb_dispatch(cmd, "iota", p, &Y, &pc, sizeof pc, (n + 7) / 8, 1, 1));
    float *y = tu_download(ctx, Y);
    uint32_t bad = 0;
    for (uint32_t i = 0; i < n; i++) bad += y[i] != (float)i + 0.5f;
    tu_check(bad == 0, "a dispatch of %u groups (device max %u per call) covers all %u elements",
             (n + 7) / 8, maxx, n);
    free(y);

    /* a 1-D op over more elements than 65535 groups of one row reach */
    uint32_t m = 65535u * 64u + 12345u;
    hb_tensor Z = hb_alloc(ctx, m);
    TU_RUN(ctx, cmd, hb_fill(cmd, Z, 7.0f));
    float *z = tu_download(ctx, Z);
    bad = 0;
    for (uint32_t i = 0; i < m; i++) bad += z[i] != 7.0f;
    tu_check(bad == 0, "a 1-D op over %u elements (2-D grid of groups) covers all of them", m);
    free(z);
    hb_free(ctx, Y), hb_free(ctx, Z);
}

static void test_profiler(hb_ctx *ctx) {
    hb_profile_enable(ctx, 1);
    hb_profile_clear(ctx);
    hb_tensor X = hb_alloc(ctx, 100000), Y = hb_alloc(ctx, 100000);
    TU_RUN(ctx, cmd, hb_axpby(cmd, Y, X, 1, 0); hb_relu(cmd, Y, X));
    tu_check(hb_profile_ms(ctx, "axpby") > 0 && hb_profile_ms(ctx, "relu") > 0,
             "profiler times ops by name (axpby %.4f ms, relu %.4f ms)", hb_profile_ms(ctx, "axpby"),
             hb_profile_ms(ctx, "relu"));
    tu_check(hb_profile_ms(ctx, "no such op") < 0, "profiler knows which ops ran");
    hb_profile_clear(ctx);
    hb_profile_enable(ctx, 0);
    hb_free(ctx, X), hb_free(ctx, Y);
}

int main(void) {
    hb_ctx *ctx = tu_ctx();
    tu_check(strlen(hb_ctx_device_name(ctx)) > 0, "device: %s", hb_ctx_device_name(ctx));
    test_allocator(ctx);
    test_replay_and_barriers(ctx);
    test_large_dispatch(ctx);
    test_profiler(ctx);
    int rc = tu_finish(ctx);
    const char *dir = getenv("HATEBM_CACHE_DIR");
    if (dir) {
        char cmdline[1200];
        snprintf(cmdline, sizeof cmdline, "ls %s/pipelines-*.bin >/dev/null 2>&1", dir);
        int saved = system(cmdline) == 0;
        printf("%s: pipeline cache saved in %s\n", saved ? "ok" : "FAIL", dir);
        if (!saved) rc = 1;
    }
    return rc;
}
