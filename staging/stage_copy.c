/* stage_copy.c: a file the target does not have yet, copied whole by the
 * kernel (copy_file_range, else sendfile) into a temporary file. */
#include <errno.h>
#include <fcntl.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include "../staging/stage_ctx.h"

static ssize_t read_write(int in, int out, size_t len)
{
    char buf[65536];
    ssize_t n = read(in, buf, len < sizeof buf ? len : sizeof buf);
    for (ssize_t done = 0; n > 0 && done < n;) {
        ssize_t w = write(out, buf + done, (size_t)(n - done));
        if (w < 0)
            return -1;
        done += w;
    }
    return n;
}

/* The first method the two filesystems support is kept for the stage:
 * each unsupported call costs a system call for nothing. */
static ssize_t copy_chunk(struct stage_ctx *c, int in, int out, size_t len)
{
    for (;;) {
        ssize_t n;
        if (c->method == COPY_RANGE)
            n = copy_file_range(in, NULL, out, NULL, len, 0);
        else if (c->method == COPY_SENDFILE)
            n = sendfile(out, in, NULL, len);
        else
            n = read_write(in, out, len);
        if (n >= 0 || c->method == COPY_READ_WRITE)
            return n;
        if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
            return -1;
        c->method++;
    }
}

/* Copies SIZE bytes, the size lstat saw: the staged copy is that version,
 * with that mtime, and a source still being written is caught next time. */
static int copy_fd(struct stage_ctx *c, int in, int out, off_t size)
{
    for (off_t done = 0; done < size;) {
        ssize_t n = copy_chunk(c, in, out, (size_t)(size - done < (1 << 30) ? size - done : (1 << 30)));
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        done += n;
    }
    return 0;
}

int stage_copy_file(struct stage_ctx *c, int sfd, int dfd, const char *name, const struct stat *s)
{
    char p[PATH_MAX], q[PATH_MAX];
    int in = openat(sfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (in < 0)
        return err_sys(c->e, EXIT_RUNTIME, "cannot read %s", stage_src_path(c, name, p));
    struct stage_tmp t;
    if (stage_tmp_create(c, dfd, name, s->st_mode, &t) < 0) {
        close(in);
        return -1;
    }
    if (copy_fd(c, in, t.fd, s->st_size) < 0) {
        err_sys(c->e, EXIT_RUNTIME, "cannot copy %s to %s", stage_src_path(c, name, p), stage_dst_path(c, name, q));
        close(in);
        stage_tmp_abort(&t);
        return -1;
    }
    close(in);
    if (stage_tmp_commit(c, &t, name, &s->st_mtim, NULL) < 0)
        return -1;
    c->st->copied++;
    c->st->literal_bytes += s->st_size;
    return 0;
}
