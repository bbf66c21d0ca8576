/* hatebm plan CONFIG: the fusion plan of each network of a config (nn/fusion.h), for training
 * passes and for frozen (Langevin) passes: what runs and what is folded where. */
#include <stdio.h>

#include "cli/cli.h"
#include "nn/models.h"

/* Prints both plans of g (built, not yet finalised), then frees it */
static void print_plans(hb_graph *g) {
    hb_g_finalize(g, 1);
    for (int k = 0; k < HB_PLAN_KINDS; k++) {
        hb_fusion_plan_print(stdout, g, g->plan[k], (hb_plan_kind)k);
        printf("\n");
    }
    hb_g_free(g);
}

int cli_plan(const char *device, int argc, char **argv) {
    if (argc < 1 || argv[0][0] == '-') {
        fprintf(stderr, "usage: hatebm plan CONFIG [key=value ...]\n");
        return 2;
    }
    hb_config c;
    char err[512];
    if (hb_config_load(argv[0], argc - 1, argv + 1, &c, err, sizeof err) != 0) {
        fprintf(stderr, "hatebm: error: %s\n", err);
        return 2;
    }
    hb_ctx_opts o = {.device = device, .validate = -1, .quiet = 1};
    hb_ctx *ctx = hb_ctx_create(&o);
    int features;
    switch (c.mode) {
    case HB_MODE_CLASSIFIER:
        print_plans(hb_build_classifier(ctx, c.channels, c.ngf_hat, &features));
        break;
    case HB_MODE_AE:
        print_plans(hb_build_encoder(ctx, c.channels, c.ngf_gen));
        print_plans(hb_build_decoder(ctx, c.channels, c.ngf_gen, c.gen_factor));
        break;
    default:
        print_plans(hb_build_hat(ctx, c.image_size, c.channels, c.ngf_hat));
        print_plans(c.generator_kind == HB_GEN_DECODER
                        ? hb_build_decoder(ctx, c.channels, c.ngf_gen, c.gen_factor)
                        : hb_build_gen(ctx, c.image_size, c.channels, c.ngf_gen, c.gen_factor));
    }
    hb_ctx_destroy(ctx);
    return 0;
}
