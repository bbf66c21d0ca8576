/* Shared by the libFuzzer harnesses: the loaders take paths, so each input is written to a
 * file in a scratch directory: $HATEBM_FUZZ_DIR (tests/fuzz/run.sh makes one on /dev/shm, a
 * tmpfs, and removes it), else a directory of this process's own on /dev/shm or /tmp. */
#ifndef HB_FUZZ_COMMON_H
#define HB_FUZZ_COMMON_H

#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char fz_own_dir[128]; /* the directory fz_dir made itself, removed at exit */

static inline int fz_remove(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static inline void fz_cleanup(void) { nftw(fz_own_dir, fz_remove, 8, FTW_DEPTH | FTW_PHYS); }

/* This process's scratch directory, made on first use. */
static inline const char *fz_dir(void) {
    static char dir[128];
    if (!dir[0]) {
        const char *env = getenv("HATEBM_FUZZ_DIR");
        if (env && *env) {
            snprintf(dir, sizeof dir, "%s", env);
            return dir;
        }
        const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        snprintf(dir, sizeof dir, "%s/hatebm-fuzz-%ld", base, (long)getpid());
        if (mkdir(dir, 0700) != 0 && access(dir, W_OK) != 0) abort();
        memcpy(fz_own_dir, dir, sizeof dir);
        atexit(fz_cleanup);
    }
    return dir;
}

/* fz_dir()/name, in one of 4 rotating buffers. */
static inline const char *fz_path(const char *name) {
    static char buf[4][256];
    static int k;
    char *p = buf[k++ & 3];
    snprintf(p, sizeof buf[0], "%s/%s", fz_dir(), name);
    return p;
}

/* Writes n bytes to fz_path(name) and returns that path. */
static inline const char *fz_put(const char *name, const uint8_t *data, size_t n) {
    const char *path = fz_path(name);
    FILE *f = fopen(path, "wb");
    if (!f || (n && fwrite(data, 1, n, f) != n) || fclose(f) != 0) abort();
    return path;
}

/* The whole file (malloc'ed), its length in *n. */
static inline uint8_t *fz_slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f || fseek(f, 0, SEEK_END) != 0) abort();
    long len = ftell(f);
    uint8_t *b = malloc((size_t)len + 1);
    if (len < 0 || !b || fseek(f, 0, SEEK_SET) != 0 || fread(b, 1, (size_t)len, f) != (size_t)len)
        abort();
    fclose(f);
    *n = (size_t)len;
    return b;
}

/* An error message must be one non-empty line. */
static inline void fz_one_line(const char *err) {
    if (!err[0] || strchr(err, '\n')) abort();
}

#endif
