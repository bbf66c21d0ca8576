/* hatebm bench: figures, never assertions. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

int cli_bench(const char *device, int argc, char **argv) {
    (void)device;
    if (argc < 1 || strcmp(argv[0], "ops") != 0) {
        fprintf(stderr, "hatebm: error: usage: hatebm bench ops\n");
        return 2;
    }
    return 0;
}
