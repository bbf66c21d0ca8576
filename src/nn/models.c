/* Network architectures. Block structure follows the SN-GAN ResNet blocks of the authors' code
 * (see bench/hatebm_torch.py for the same networks in PyTorch). */
#include "nn/models.h"

#include <stdio.h>

/* Hat-net block. stem: conv1 -> relu -> conv2 [-> pool]; otherwise relu -> conv1 -> relu ->
 * conv2 [-> pool]. Shortcut [pool ->] conv1x1, the conv when channels change or the block
 * downsamples. The authors' code pools after the shortcut conv outside the stem; the two
 * commute (both linear, the conv pixel by pixel), and pooling first runs the conv on a
 * quarter of the pixels. */
static int ebm_block(hb_graph *g, int x, int i, int cout, int down, int stem) {
    char name[64];
    int cin = g->nodes[x].shape.c;
    int h = stem ? x : hb_g_relu(g, x);
    snprintf(name, sizeof name, "b.%d.c1", i);
    h = hb_g_relu(g, hb_g_conv(g, h, name, cout, 3, 1));
    snprintf(name, sizeof name, "b.%d.c2", i);
    h = hb_g_conv(g, h, name, cout, 3, 1);
    if (down) h = hb_g_avgpool(g, h);
    int s = x, learnable = cin != cout || down;
    snprintf(name, sizeof name, "b.%d.sc", i);
    if (down) s = hb_g_avgpool(g, s);
    if (learnable) s = hb_g_conv(g, s, name, cout, 1, 1);
    return hb_g_add(g, h, s);
}

/* Generator block: bn1 -> relu [-> up] -> conv1 -> bn2 -> relu -> conv2; shortcut
 * [up ->] conv1x1 when channels change or it upsamples, else identity. The shortcut runs
 * conv1x1 -> up: the two commute (the conv is per pixel, bilinear weights sum to one, so the
 * bias passes through), and convolving first touches a quarter of the pixels. */
static int gen_block(hb_graph *g, int x, int i, int cout, int up) {
    char name[64];
    int cin = g->nodes[x].shape.c;
    /* the shortcut first, so conv2 comes last and adds it in its epilogue (conv_of_add) */
    int s = x;
    if (cin != cout || up) {
        snprintf(name, sizeof name, "b.%d.sc", i);
        s = hb_g_conv(g, s, name, cout, 1, 1);
        if (up) s = hb_g_upsample(g, s);
    }
    snprintf(name, sizeof name, "b.%d.bn1", i);
    int h = hb_g_relu(g, hb_g_affine(g, x, name));
    if (up) h = hb_g_upsample(g, h);
    snprintf(name, sizeof name, "b.%d.c1", i);
    h = hb_g_conv(g, h, name, cout, 3, 1);
    snprintf(name, sizeof name, "b.%d.bn2", i);
    h = hb_g_relu(g, hb_g_affine(g, h, name));
    snprintf(name, sizeof name, "b.%d.c2", i);
    h = hb_g_conv(g, h, name, cout, 3, 1);
    return hb_g_add(g, h, s);
}

/* bn -> relu -> conv3x3 to nch -> tanh * factor */
static int gen_head(hb_graph *g, int h, int nch, float factor) {
    h = hb_g_relu(g, hb_g_affine(g, h, "bn"));
    h = hb_g_conv(g, h, "out", nch, 3, 1);
    return hb_g_tanh(g, h, factor);
}

const char *hb_model_check(int res, int nch, int ngf) {
    if (res != 32 && res != 64 && res != 128) return "resolution must be 32, 64 or 128";
    if (nch != 1 && nch != 3) return "channels must be 1 or 3";
    if (ngf < 1) return "ngf must be positive";
    if (res > 32 && ngf % 16) return "ngf must be a multiple of 16 at 64x64 and 128x128";
    return "";
}

static void check(int res, int nch, int ngf) {
    const char *why = hb_model_check(res, nch, ngf);
    if (*why) hb_die(2, "network res=%d nch=%d ngf=%d: %s", res, nch, ngf, why);
}

hb_graph *hb_build_hat(hb_ctx *ctx, int res, int nch, int ngf) {
    check(res, nch, ngf);
    hb_graph *g = hb_g_new(ctx, "hat");
    int x = hb_g_input(g, (hb_shape){nch, res, res});
    if (res == 32) {
        x = ebm_block(g, x, 0, ngf, 1, 1);
        x = ebm_block(g, x, 1, ngf, 1, 0);
        x = ebm_block(g, x, 2, ngf, 0, 0);
        x = ebm_block(g, x, 3, ngf, 0, 0);
    } else {
        const int widths[5] = {ngf / 16, ngf / 8, ngf / 4, ngf / 2, ngf};
        x = ebm_block(g, x, 0, widths[0], 1, 1);
        for (int i = 1; i < 5; i++) x = ebm_block(g, x, i, widths[i], 1, 0);
        if (res == 128) x = ebm_block(g, x, 5, ngf, 0, 0);
    }
    x = hb_g_gap(g, hb_g_relu(g, x));
    hb_g_linear(g, x, "lin", 1, 0);
    return g;
}

hb_graph *hb_build_gen(hb_ctx *ctx, int res, int nch, int ngf, float factor) {
    check(res, nch, ngf);
    hb_graph *g = hb_g_new(ctx, "gen");
    int z = hb_g_input(g, (hb_shape){HB_NZ, 1, 1});
    int h = hb_g_reshape(g, hb_g_linear(g, z, "lin", 16 * ngf, 1), (hb_shape){ngf, 4, 4});
    if (res == 32) {
        for (int i = 0; i < 3; i++) h = gen_block(g, h, i, ngf, 1);
    } else {
        int i = 0;
        if (res == 128) h = gen_block(g, h, i++, ngf, 1);
        for (int d = 2; d <= 16; d *= 2) h = gen_block(g, h, i++, ngf / d, 1);
    }
    gen_head(g, h, nch, factor);
    return g;
}

hb_graph *hb_build_decoder(hb_ctx *ctx, int nch, int ngf, float factor) {
    check(32, nch, ngf);
    hb_graph *g = hb_g_new(ctx, "decoder");
    int h = hb_g_input(g, (hb_shape){1, 16, 16});
    h = gen_block(g, h, 0, ngf, 0);
    h = gen_block(g, h, 1, ngf, 1);
    h = gen_block(g, h, 2, ngf, 0);
    h = gen_block(g, h, 3, ngf, 0);
    gen_head(g, h, nch, factor);
    return g;
}

hb_graph *hb_build_encoder(hb_ctx *ctx, int nch, int ngf) {
    check(32, nch, ngf);
    hb_graph *g = hb_g_new(ctx, "encoder");
    int x = hb_g_input(g, (hb_shape){nch, 32, 32});
    x = ebm_block(g, x, 0, ngf, 0, 1);
    x = ebm_block(g, x, 1, ngf, 1, 0);
    x = ebm_block(g, x, 2, ngf, 0, 0);
    x = ebm_block(g, x, 3, ngf, 0, 0);
    x = hb_g_conv(g, hb_g_relu(g, x), "out", 1, 3, 1);
    hb_g_sphere(g, x);
    return g;
}

hb_graph *hb_build_classifier(hb_ctx *ctx, int nch, int width, int *features) {
    check(32, nch, width);
    hb_graph *g = hb_g_new(ctx, "classifier");
    int x = hb_g_input(g, (hb_shape){nch, 32, 32});
    x = hb_g_avgpool(g, hb_g_relu(g, hb_g_conv(g, x, "c1", width, 3, 1)));
    char name[32];
    for (int stage = 1, c = 2 * width; stage < 3; stage++, c *= 2) {
        snprintf(name, sizeof name, "c%d", 2 * stage);
        x = hb_g_relu(g, hb_g_conv(g, x, name, c, 3, 1));
        snprintf(name, sizeof name, "c%d", 2 * stage + 1);
        x = hb_g_avgpool(g, hb_g_relu(g, hb_g_conv(g, x, name, c, 3, 1)));
    }
    hb_shape s = g->nodes[x].shape;
    x = hb_g_reshape(g, x, (hb_shape){s.c * s.h * s.w, 1, 1});
    x = hb_g_relu(g, hb_g_linear(g, x, "fc", HB_CLASSIFIER_FEATURES, 1));
    if (features) *features = x;
    hb_g_linear(g, x, "out", HB_CLASSIFIER_CLASSES, 1);
    return g;
}
