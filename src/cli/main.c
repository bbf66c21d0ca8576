/* hatebm: command-line entry point. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "dist/dist.h"

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

/* The device of this process: --device or HATEBM_DEVICE when given; else, under mpirun, the
 * machine's best devices taken in turn by its processes (local rank modulo their count). */
static const char *process_device(const char *device, char *buf, size_t len) {
    if (device || hb_dist_size() == 1) return device;
    if (getenv("HATEBM_DEVICE")) return getenv("HATEBM_DEVICE");
    int index[64], n = hb_best_devices(index, 64);
    if (n < 1) return NULL; /* hb_ctx_create says what is missing */
    snprintf(buf, len, "%d", index[hb_dist_local_rank() % (n < 64 ? n : 64)]);
    return buf;
}

typedef int (*command_fn)(const char *device, int argc, char **argv);

/* sample and ood under mpirun: every process computes its share, process 0 writes and prints
 * the one output; the others stay silent unless they fail, which ends them all. */
static int run_split(command_fn command, const char *device, int argc, char **argv) {
    char buf[16];
    hb_dist_init();
    device = process_device(device, buf, sizeof buf);
    hb_dist_quiet();
    int rc = command(device, argc, argv);
    if (rc != 0 && hb_dist_size() > 1) hb_dist_abort(rc);
    return hb_dist_finalize(hb_dist_agree_quietly(rc));
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
    if (strcmp(cmd, "train") == 0) { /* under mpirun: one of several processes */
        char buf[16];
        hb_dist_init();
        device = process_device(device, buf, sizeof buf);
        return hb_dist_finalize(cli_train(device, argc - i - 1, argv + i + 1));
    }
    if (strcmp(cmd, "sample") == 0)
        return run_split(cli_sample, device, argc - i - 1, argv + i + 1);
    if (strcmp(cmd, "fid") == 0) return cli_fid(device, argc - i - 1, argv + i + 1);
    if (strcmp(cmd, "ood") == 0) return run_split(cli_ood, device, argc - i - 1, argv + i + 1);
    if (strcmp(cmd, "plan") == 0) return cli_plan(device, argc - i - 1, argv + i + 1);
    if (strcmp(cmd, "bench") == 0) return cli_bench(device, argc - i - 1, argv + i + 1);
    fprintf(stderr, "hatebm: error: unknown command '%s'; see 'hatebm --help'\n", cmd);
    return 2;
}
