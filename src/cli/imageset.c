/* Image sets named on the command line, shared by fid and ood. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"

int cli_load_images(const char *arg, int size, int channels, int max, hb_dataset *out, char *err,
                    size_t errlen) {
    char spec[4200];
    struct stat st;
    size_t len = strlen(arg);
    if (len > 4 && strcmp(arg + len - 4, ".npy") == 0 && stat(arg, &st) == 0)
        snprintf(spec, sizeof spec, "npy:%s", arg);
    else if (stat(arg, &st) == 0 && S_ISDIR(st.st_mode))
        snprintf(spec, sizeof spec, "folder:%s", arg);
    else
        snprintf(spec, sizeof spec, "%s", arg);
    if (strncmp(spec, "folder:", 7) == 0 && !size) {
        /* a folder's images may differ in size, so its loader resizes them all (to the
         * Inception network's input size); RGB, or grey when they are grey */
        if (hb_dataset_load(spec, CLI_FOLDER_NATIVE_SIZE, channels ? channels : 3, out, err,
                            errlen) != 0 &&
            (channels || hb_dataset_load(spec, CLI_FOLDER_NATIVE_SIZE, 1, out, err, errlen) != 0))
            return -1;
    } else if (hb_dataset_load(spec, size, channels, out, err, errlen) != 0)
        return -1;
    if (max > 0 && out->n > max) { /* evenly spaced: every class of a sorted set stays in */
        size_t D = (size_t)out->c * out->h * out->w;
        for (int i = 0; i < max; i++) {
            size_t from = (size_t)((int64_t)i * out->n / max);
            memmove(out->pixels + (size_t)i * D, out->pixels + from * D, D * sizeof(float));
            if (out->labels) out->labels[i] = out->labels[from];
        }
        out->n = max;
    }
    return 0;
}
