/* hatebm: command-line entry point. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: hatebm [--device INDEX|NAME] COMMAND [args]\n"
            "commands:\n"
            "  train CONFIG [key=value ...] [--run-dir DIR]\n"
            "                train a Hat EBM (configs/*.ini); --resume RUN_DIR continues a run\n"
            "  sample RUN --out DIR [--n N] [--steps K] [--trajectory all|K1,K2,..]\n"
            "                Langevin samples of a trained run (EMA weights): x.npy, gz.npy, grid.png\n"
            "  fid A B [--classifier PATH] [--inception [WEIGHTS]] [--save-stats FILE.npz] [--max N]\n"
            "                FID between two image sets or .npz statistics: FMNIST-classifier features,\n"
            "                or pytorch-fid's Inception with --inception (docs/inception-fid.md)\n"
            "  ood RUN [--in SPEC] [--ood mnist,noise,flip,invert] [--score S] [--ref SPEC]\n"
            "                AUROC of out-of-distribution detection by energy, or by S: gradnorm,\n"
            "                complexity, typicality, dose (docs/ood.md)\n"
            "  plan CONFIG [key=value ...]\n"
            "                the fusion plan of each network: what runs, what is folded where\n"
            "  devices       list Vulkan devices (the default is marked)\n"
            "  selfcheck     run every op once on the device against its CPU reference\n"
            "  bench ops     device time and TFLOP/s per op for the SN-GAN 32x32 shapes\n"
            "  bench langevin  seconds per Langevin step and iteration vs the PyTorch peer\n"
            "  bench scaling   seconds and FLOPs per iteration as batch, ngf, K, resolution grow\n"
            "environment: HATEBM_DEVICE (like --device), HATEBM_VALIDATE=1 (Khronos validation),\n"
            "  HATEBM_PROFILE=1 (device time per op at exit), HATEBM_CACHE_DIR (pipeline cache),\n"
            "  HATEBM_CLASSIFIER (fid's classifier), HATEBM_MNIST_JSON_DIR (ood's mnist digits),\n"
            "  HATEBM_PLAN=1 (print each network's fusion plan when it is built)\n");
}

int main(int argc, char **argv) {
    const char *device = NULL;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--device") == 0 && i + 1 < argc) device = argv[++i];
        else if (strncmp(argv[i], "--device=", 9) == 0) device = argv[i] + 9;
        else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "hatebm: error: unknown option '%s'; see 'hatebm --help'\n", argv[i]);
            return 2;
        }
    }
    if (i >= argc) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[i];
    if ((strcmp(cmd, "devices") == 0 || strcmp(cmd, "selfcheck") == 0) && i + 1 < argc) {
        fprintf(stderr, "hatebm: error: %s takes no arguments (got '%s'); see 'hatebm --help'\n",
                cmd, argv[i + 1]);
        return 2;
    }
    if (strcmp(cmd, "devices") == 0) {
        if (device) { /* validate the choice the same way every command does */
            hb_ctx_opts o = {.device = device, .validate = -1, .quiet = 1};
            hb_ctx_destroy(hb_ctx_create(&o));
        }
        return hb_list_devices();
    }
    if (strcmp(cmd, "selfcheck") == 0) return cli_selfcheck(device);
    if (strcmp(cmd, "train") == 0) return cli_train(device, argc - i - 1, argv + i + 1);
    if (strcmp(cmd, "sample") == 0) return cli_sample(device, argc - i - 1, argv + i + 1);
    if (strcmp(cmd, "fid") == 0) return cli_fid(device, argc - i - 1, argv + i + 1);
    if (strcmp(cmd, "ood") == 0) return cli_ood(device, argc - i - 1, argv + i + 1);
    if (strcmp(cmd, "plan") == 0) return cli_plan(device, argc - i - 1, argv + i + 1);
    if (strcmp(cmd, "bench") == 0) return cli_bench(device, argc - i - 1, argv + i + 1);
    fprintf(stderr, "hatebm: error: unknown command '%s'; see 'hatebm --help'\n", cmd);
    return 2;
}
