#ifndef HB_CLI_H
#define HB_CLI_H
#include "config/config.h"
#include "data/dataset.h"
#include "ops/ops.h"
int cli_selfcheck(const char *device);
int cli_bench(const char *device, int argc, char **argv);
int cli_train(const char *device, int argc, char **argv);
int cli_train_classifier(const char *device, const hb_config *cfg, const char *dir);
int cli_sample(const char *device, int argc, char **argv);
int cli_fid(const char *device, int argc, char **argv);
int cli_ood(const char *device, int argc, char **argv);
int cli_plan(const char *device, int argc, char **argv);
/* $HATEBM_CLASSIFIER, else the shipped assets/fmnist_classifier.safetensors */
const char *cli_default_classifier(void);
/* An image set given as a .npy file, an image folder or a data set spec (fashion-mnist:test),
 * loaded at size x size with `channels`; max > 0 keeps max images evenly spaced over the set.
 * size 0 and channels 0: as the set has them (a folder's images resized to
 * CLI_FOLDER_NATIVE_SIZE, the Inception network's input size). 0 or -1 + err. */
#define CLI_FOLDER_NATIVE_SIZE 299
int cli_load_images(const char *arg, int size, int channels, int max, hb_dataset *out, char *err,
                    size_t errlen);
#endif
