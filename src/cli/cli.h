#ifndef HB_CLI_H
#define HB_CLI_H
#include "config/config.h"
#include "ops/ops.h"
int cli_selfcheck(const char *device);
int cli_bench(const char *device, int argc, char **argv);
int cli_train(const char *device, int argc, char **argv);
int cli_train_classifier(const char *device, const hb_config *cfg, const char *dir);
int cli_sample(const char *device, int argc, char **argv);
int cli_fid(const char *device, int argc, char **argv);
int cli_ood(const char *device, int argc, char **argv);
#endif
