/* stage_tmpfile.c: temporary files and symlinks next to their final name,
 * renamed over it when complete: a reader never sees half a file. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../staging/stage_ctx.h"

int stage_is_tmp_name(const char *name)
{
    return strncmp(name, STAGE_TMP_PREFIX, sizeof STAGE_TMP_PREFIX - 1) == 0;
}

/* The pid and a counter make names unique between stages (only one runs
 * at a time) and within one; O_EXCL settles a leftover of the same pid. */
static void next_name(struct stage_ctx *c, char *buf, size_t n)
{
    snprintf(buf, n, STAGE_TMP_PREFIX "%ld.%u", (long)c->pid, c->tmp_seq++);
}

int stage_tmp_create(struct stage_ctx *c, int dirfd, const char *final, mode_t mode, struct stage_tmp *t)
{
    char p[PATH_MAX];
    t->fd = -1;
    if (stage_mark_dirty(c) < 0 || stage_dir_writable(c) < 0)
        return -1;
    t->dirfd = dirfd;
    /* Created with its final mode: a chmod per file saved, unless the
     * umask or the special bits (which open may drop) are in the way. */
    t->mode = STAGE_MODE(mode);
    t->chmod = (t->mode & ~c->umask) != t->mode || (t->mode & 07000);
    do {
        next_name(c, t->name, sizeof t->name);
        t->fd = openat(dirfd, t->name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, t->chmod ? 0600 : t->mode);
    } while (t->fd < 0 && errno == EEXIST);
    if (t->fd < 0)
        return err_sys(c->e, EXIT_RUNTIME, "cannot create a temporary file for %s", stage_dst_path(c, final, p));
    return 0;
}

void stage_tmp_abort(struct stage_tmp *t)
{
    if (t->fd >= 0)
        close(t->fd);
    t->fd = -1;
    unlinkat(t->dirfd, t->name, 0);
}

int stage_tmp_commit(struct stage_ctx *c, struct stage_tmp *t, const char *final, const struct timespec *mtime,
                     struct stat *st)
{
    char p[PATH_MAX];
    struct timespec times[2] = {{.tv_nsec = UTIME_OMIT}, *mtime};
    int rc = 0;
    if ((t->chmod && fchmod(t->fd, t->mode) < 0) || futimens(t->fd, times) < 0 || (st && fstat(t->fd, st) < 0))
        rc = err_sys(c->e, EXIT_RUNTIME, "cannot set the mode and mtime of %s", stage_dst_path(c, final, p));
    /* close reports write-back errors some filesystems delay (NFS, quotas). */
    if (close(t->fd) < 0 && rc == 0)
        rc = err_sys(c->e, EXIT_RUNTIME, "cannot write %s", stage_dst_path(c, final, p));
    t->fd = -1;
    if (rc == 0 && renameat(t->dirfd, t->name, t->dirfd, final) < 0)
        rc = err_sys(c->e, EXIT_RUNTIME, "cannot rename a temporary file over %s", stage_dst_path(c, final, p));
    if (rc < 0)
        stage_tmp_abort(t);
    return rc;
}

int stage_tmp_symlink(struct stage_ctx *c, int dirfd, const char *to, const char *final, const struct stat *s)
{
    char name[32], p[PATH_MAX];
    struct timespec times[2] = {{.tv_nsec = UTIME_OMIT}, s->st_mtim};
    if (stage_mark_dirty(c) < 0 || stage_dir_writable(c) < 0)
        return -1;
    int rc;
    do {
        next_name(c, name, sizeof name);
        rc = symlinkat(to, dirfd, name);
    } while (rc < 0 && errno == EEXIST);
    if (rc < 0)
        return err_sys(c->e, EXIT_RUNTIME, "cannot create symlink %s", stage_dst_path(c, final, p));
    if (utimensat(dirfd, name, times, AT_SYMLINK_NOFOLLOW) < 0 || renameat(dirfd, name, dirfd, final) < 0) {
        err_sys(c->e, EXIT_RUNTIME, "cannot put symlink %s in place", stage_dst_path(c, final, p));
        unlinkat(dirfd, name, 0);
        return -1;
    }
    return 0;
}
