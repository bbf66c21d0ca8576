/* Host-side file helpers shared by checkpoints, configs, sample grids and loaders. */
#ifndef HB_FILES_H
#define HB_FILES_H

#include <stddef.h>
#include <stdio.h>

/* Formats a message into err as one line (control characters become '?'); returns -1 so that
 * callers can `return hb_errorf(...)`. */
int hb_errorf(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Replaces path atomically: body(fp, user) writes the content to a temporary file next to
 * path, which is flushed, fsync'ed and renamed over path (the directory is then fsync'ed, best
 * effort). body returns 0 on success. A crash, a full disk or an unwritable directory leaves
 * the previous file untouched and no temporary file behind. 0, or -1 with one line in err. */
int hb_atomic_write(const char *path, int (*body)(FILE *fp, void *user), void *user, char *err,
                    size_t errlen);

/* 1 when path is a directory / a regular file (after symbolic links), else 0. */
int hb_is_dir(const char *path);
int hb_is_file(const char *path);

#endif
