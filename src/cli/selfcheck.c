/* hatebm selfcheck: a quick proof that the device runs the kernels correctly. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "ref/ref.h"

int cli_selfcheck(const char *device) {
    hb_ctx_opts o = {.device = device, .validate = -1};
    hb_ctx *ctx = hb_ctx_create(&o);
    int failed = 0;
    enum { n = 1000 };
    float x[n], y[n];
    double xd[n], want[n];
    for (int i = 0; i < n; i++) xd[i] = x[i] = (float)sin(i * 0.37) * 3;
    hb_tensor X = hb_alloc(ctx, n), Y = hb_alloc(ctx, n);
    hb_upload(ctx, X, x);
    hb_cmd *cmd = hb_cmd_create(ctx);
    hb_cmd_begin(cmd);
    hb_tanh(cmd, Y, X, 2.0f);
    hb_cmd_end(cmd);
    hb_cmd_run(cmd);
    hb_download(ctx, Y, y);
    ref_tanh(want, xd, 2.0, n);
    double err = 0;
    for (int i = 0; i < n; i++) err = fmax(err, fabs(y[i] - want[i]));
    printf("%-24s max abs err %.2e  %s\n", "tanh", err, err < 1e-5 ? "ok" : "FAIL");
    failed += !(err < 1e-5);
    hb_cmd_destroy(cmd);
    uint32_t msgs = hb_validation_messages(ctx);
    hb_ctx_destroy(ctx);
    if (msgs) fprintf(stderr, "hatebm: selfcheck: %u validation message(s)\n", msgs);
    printf("selfcheck: %s\n", failed || msgs ? "FAILED" : "all ops match their references");
    return failed || msgs ? 1 : 0;
}
