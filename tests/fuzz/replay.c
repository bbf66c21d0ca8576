/* Runs a fuzz harness once over every file of the directories (or files) given: the seed and
 * regression corpora become ordinary tests, in the normal build and under the sanitizer pass,
 * without clang or libFuzzer. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    uint8_t *b = NULL;
    size_t n = 0, cap = 0, r;
    do {
        if (n == cap) {
            uint8_t *nb = realloc(b, cap = cap ? 2 * cap : 65536);
            if (!nb) {
                free(b);
                fclose(f);
                return -1;
            }
            b = nb;
        }
        r = fread(b + n, 1, cap - n, f);
        n += r;
    } while (r > 0);
    fclose(f);
    LLVMFuzzerTestOneInput(b, n);
    free(b);
    return 0;
}

int main(int argc, char **argv) {
    int ran = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "replay: cannot open %s\n", argv[i]);
            return 1;
        }
        if (!S_ISDIR(st.st_mode)) {
            if (run_file(argv[i])) return 1;
            ran++;
            continue;
        }
        struct dirent **names;
        int n = scandir(argv[i], &names, NULL, alphasort);
        for (int k = 0; k < n; k++) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", argv[i], names[k]->d_name);
            if (names[k]->d_name[0] != '.' && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
                if (run_file(path)) return 1;
                ran++;
            }
            free(names[k]);
        }
        free(names);
    }
    printf("replay: %d inputs, no failure\n", ran);
    return ran ? 0 : 1;
}
