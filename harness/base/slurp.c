/* slurp.c: reading a small file whole, with a hard size limit checked as
 * it is read (the size stat reports may change while it is read). */
#include "base/slurp.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *kind_of(mode_t m)
{
    return S_ISFIFO(m) ? "a FIFO" : S_ISDIR(m) ? "a directory" : S_ISSOCK(m) ? "a socket"
         : S_ISBLK(m) ? "a block device" : "a special file";
}

/* PATH opened for reading only if it is a regular file or a character
 * device. O_NONBLOCK: a FIFO without a writer would block the open (a job
 * held for ever); it is refused after fstat instead, and O_NONBLOCK
 * cleared for the read. */
static FILE *open_readable(const char *what, const char *path, int status, struct err *e)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        err_sys(e, status, "cannot read %s %s", what, path);
        return NULL;
    }
    struct stat st;
    int flags = fcntl(fd, F_GETFL);
    const char *bad = fstat(fd, &st) < 0 || flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0 ? "" : NULL;
    /* A character device is read, up to the limit (/dev/null is empty,
     * /dev/zero too large); what could block or is no stream is refused. */
    if (!bad && !S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode))
        bad = kind_of(st.st_mode);
    FILE *f = bad ? NULL : fdopen(fd, "rb");
    if (f)
        return f;
    if (bad && bad[0])
        err_set(e, status, "%s %s is %s, not a file: refused", what, path, bad);
    else
        err_sys(e, status, "cannot read %s %s", what, path);
    close(fd);
    return NULL;
}

char *slurp(const char *what, const char *path, size_t max, size_t *len, int status, struct err *e)
{
    FILE *f = open_readable(what, path, status, e);
    if (!f)
        return NULL;
    size_t cap = 8192, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        n += fread(buf + n, 1, cap - n - 1, f);
        if (n < cap - 1 || n > max)
            break;
        char *bigger = realloc(buf, cap * 2);
        if (!bigger)
            break;
        buf = bigger;
        cap *= 2;
    }
    int failed = ferror(f), too_big = n > max || (n == cap - 1 && !feof(f));
    fclose(f);
    buf[n < cap ? n : cap - 1] = '\0';
    if (failed || too_big) {
        free(buf);
        if (too_big)
            err_set(e, status, "%s %s: larger than %zu bytes: not a %s file", what, path, max, what);
        else
            err_set(e, status, "cannot read %s %s: read error", what, path);
        return NULL;
    }
    if (len)
        *len = n;
    return buf;
}
