/* named_output.c: an output file named by the user: a regular file is
 * replaced atomically, a device or FIFO written in place, a link refused. */
#include "base/named_output.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/atomic_write.h"

static const char *kind_of(mode_t m)
{
    return S_ISDIR(m) ? "directory" : S_ISBLK(m) ? "block device" : S_ISSOCK(m) ? "socket" : "special file";
}

static int write_in_place(const char *path, const struct stat *seen, const char *data, size_t len, struct err *e)
{
    /* O_NONBLOCK: a FIFO without a reader fails now (ENXIO) instead of
     * holding the job; O_NOFOLLOW: nothing swapped in since lstat is followed. */
    int fd = open(path, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0 && errno == ENXIO)
        return err_set(e, EXIT_RUNTIME, "cannot write %s: a FIFO with no reader", path);
    if (fd < 0)
        return err_sys(e, EXIT_RUNTIME, "cannot write %s", path);
    struct stat st;
    if (fstat(fd, &st) < 0 || st.st_dev != seen->st_dev || st.st_ino != seen->st_ino) {
        close(fd);
        return err_set(e, EXIT_RUNTIME, "cannot write %s: it was replaced while being opened", path);
    }
    /* From here a slow reader is waited for, as a shell redirection would. */
    int flags = fcntl(fd, F_GETFL);
    int bad = flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0 || write_full(fd, data, len) < 0;
    bad |= close(fd) < 0;
    return bad ? err_sys(e, EXIT_RUNTIME, "cannot write %s", path) : 0;
}

int named_output_write(const char *path, const char *data, size_t len, mode_t mode, struct err *e)
{
    struct stat st;
    int missing = lstat(path, &st) < 0;
    if (missing && errno != ENOENT)
        return err_sys(e, EXIT_RUNTIME, "cannot write %s", path);
    if (missing || S_ISREG(st.st_mode))
        return atomic_write(path, data, len, mode, e);
    if (S_ISLNK(st.st_mode))
        return err_set(e, EXIT_RUNTIME,
                       "%s is a symbolic link: not followed and not replaced (name the file itself, or - for stdout)",
                       path);
    if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode))
        return write_in_place(path, &st, data, len, e);
    return err_set(e, EXIT_RUNTIME, "%s is a %s: refused (only a regular file, a character device or a FIFO is written)",
                   path, kind_of(st.st_mode));
}
