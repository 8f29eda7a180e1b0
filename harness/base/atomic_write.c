/* atomic_write.c: temporary file, fsync, rename, fsync of the directory:
 * no reader sees half a file, and a crash after return loses nothing. */
#include "base/atomic_write.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void fsync_parent(const char *path)
{
    char *dir = strdup(path);
    char *slash = strrchr(dir, '/');
    if (slash == dir)
        slash[1] = '\0';
    else if (slash)
        *slash = '\0';
    int fd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(dir);
}

int write_full(int fd, const char *data, size_t n)
{
    for (size_t done = 0; done < n;) {
        ssize_t w = write(fd, data + done, n - done);
        if (w < 0 && errno != EINTR)
            return -1;
        done += w > 0 ? (size_t)w : 0;
    }
    return 0;
}

int atomic_write(const char *path, const char *data, size_t len, mode_t mode, struct err *e)
{
    size_t n = strlen(path) + 16;
    char *tmp = malloc(n);
    snprintf(tmp, n, "%s.tmpXXXXXX", path);
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        err_sys(e, EXIT_RUNTIME, "cannot write %s", path);
        free(tmp);
        return -1;
    }
    /* mkostemp makes 0600 files: the caller's mode, less the umask. */
    mode_t mask = umask(0);
    umask(mask);
    int bad = fchmod(fd, mode & ~mask) < 0 || write_full(fd, data, len) < 0 || fsync(fd) < 0;
    bad |= close(fd) < 0;
    if (bad || rename(tmp, path) < 0) {
        err_sys(e, EXIT_RUNTIME, "cannot write %s", path);
        unlink(tmp);
        free(tmp);
        return -1;
    }
    free(tmp);
    fsync_parent(path);
    return 0;
}
