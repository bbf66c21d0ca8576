#ifndef HB_CLI_H
#define HB_CLI_H
#include "ops/ops.h"
int cli_selfcheck(const char *device);
int cli_bench(const char *device, int argc, char **argv);
int cli_train(const char *device, int argc, char **argv);
#endif
