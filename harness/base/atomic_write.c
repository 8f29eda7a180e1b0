/* atomic_write.c: temporary file, fsync, rename, fsync of the directory:
 * no reader sees half a file, and a crash after return loses nothing. */
#include "base/atomic_write.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

/* PATH's directory opened (the current one for a bare name); *NAME gets
 * PATH's last part. -1 with errno. */
static int open_parent(const char *path, const char **name)
{
    const char *slash = strrchr(path, '/');
    *name = slash ? slash + 1 : path;
    if (!slash)
        return open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    char *dir = strndup(path, slash == path ? 1 : (size_t)(slash - path));
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(dir);
    return fd;
}

void fsync_parent(const char *path)
{
    const char *name;
    int fd = open_parent(path, &name);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
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

int create_unique_at(int dfd, const char *prefix, char *name, size_t n, int dir, mode_t mode)
{
    for (int tries = 0; tries < 100; tries++) {
        unsigned r = 0;
        if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r)
            return -1;
        snprintf(name, n, "%s%08x", prefix, r);
        int fd = dir ? mkdirat(dfd, name, mode)
                     : openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
        if (fd >= 0 || errno != EEXIST)
            return fd;
    }
    return -1;
}

int atomic_write_at(int dfd, const char *name, const char *shown, const char *data, size_t len, mode_t mode,
                    struct err *e)
{
    char prefix[300], tmp[320];
    snprintf(prefix, sizeof prefix, "%.255s.tmp", name);
    /* O_EXCL | O_NOFOLLOW: a new file of ours, never one planted in DIR;
     * renameat then replaces NAME, whatever it is, without following it. */
    int fd = create_unique_at(dfd, prefix, tmp, sizeof tmp, 0, mode);
    if (fd < 0)
        return err_sys(e, EXIT_RUNTIME, "cannot write %s", shown);
    int bad = write_full(fd, data, len) < 0 || fsync(fd) < 0;
    bad |= close(fd) < 0;
    if (bad || renameat(dfd, tmp, dfd, name) < 0) {
        err_sys(e, EXIT_RUNTIME, "cannot write %s", shown);
        unlinkat(dfd, tmp, 0);
        return -1;
    }
    fsync(dfd);
    return 0;
}

int atomic_write(const char *path, const char *data, size_t len, mode_t mode, struct err *e)
{
    const char *name;
    int dfd = open_parent(path, &name);
    if (dfd < 0)
        return err_sys(e, EXIT_RUNTIME, "cannot write %s", path);
    int rc = atomic_write_at(dfd, name, path, data, len, mode, e);
    close(dfd);
    return rc;
}
