#include "io/files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int hb_errorf(char *err, size_t errlen, const char *fmt, ...) {
    if (!err || !errlen) return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    for (char *p = err; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f) *p = '?';
    return -1;
}

/* Makes the rename itself durable. */
static void sync_directory_of(char *tmp) {
    char *slash = strrchr(tmp, '/');
    if (slash) *slash = 0;
    int dfd = open(!slash ? "." : slash == tmp ? "/" : tmp, O_RDONLY);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
}

int hb_atomic_write(const char *path, int (*body)(FILE *fp, void *user), void *user, char *err,
                    size_t errlen) {
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 16);
    if (!tmp) return hb_errorf(err, errlen, "%s: out of memory", path);
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".tmp-XXXXXX", 12);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int e = errno;
        free(tmp);
        return hb_errorf(err, errlen, "%s: cannot create a temporary file next to it: %s", path,
                         strerror(e));
    }
    mode_t um = umask(0); /* mkstemp makes 0600; give the file the usual permissions */
    umask(um);
    int e = 0;
    FILE *fp = NULL;
    if (fchmod(fd, 0666 & ~um) != 0 || !(fp = fdopen(fd, "wb"))) {
        e = errno;
        close(fd);
        goto failed;
    }
    errno = 0;
    int ok = body(fp, user) == 0 && fflush(fp) == 0 && fsync(fileno(fp)) == 0;
    if (!ok) e = errno ? errno : EIO;
    if (fclose(fp) != 0 && ok) {
        ok = 0;
        e = errno ? errno : EIO;
    }
    if (!ok) goto failed;
    if (rename(tmp, path) != 0) {
        e = errno;
        goto failed;
    }
    sync_directory_of(tmp);
    free(tmp);
    return 0;
failed:
    unlink(tmp);
    free(tmp);
    return hb_errorf(err, errlen, "%s: write failed: %s; the previous file, if any, is untouched",
                     path, strerror(e));
}

int hb_is_dir(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int hb_is_file(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}
