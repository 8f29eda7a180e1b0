/* stage_lock.c: one stage of a target at a time (cron may start two), by
 * flock on a file in the target that also says whether a stage died. */
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "clock.h"
#include "stage_ctx.h"

static const char dirty_text[] = "a stage is modifying this tree\n";

int stage_lock(struct stage_ctx *c, int root_fd)
{
    char p[PATH_MAX];
    c->lock_fd = openat(root_fd, STAGE_LOCK_NAME, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (c->lock_fd < 0)
        return err_sys(c->e, EXIT_RUNTIME, "cannot open the lock file %s", stage_dst_path(c, STAGE_LOCK_NAME, p));
    if (flock(c->lock_fd, LOCK_EX | LOCK_NB) < 0) {
        if (errno != EWOULDBLOCK)
            return err_sys(c->e, EXIT_RUNTIME, "cannot lock %s", stage_dst_path(c, STAGE_LOCK_NAME, p));
        if (c->o->log)
            fprintf(c->o->log, "harness: another stage of %s is running: waiting for its lock %s\n", c->o->target,
                    stage_dst_path(c, STAGE_LOCK_NAME, p));
        double t0 = now_seconds();
        int rc;
        while ((rc = flock(c->lock_fd, LOCK_EX)) < 0 && errno == EINTR)
            ;
        if (rc < 0)
            return err_sys(c->e, EXIT_RUNTIME, "cannot lock %s", stage_dst_path(c, STAGE_LOCK_NAME, p));
        c->st->waited_for_lock = 1;
        c->st->lock_wait_seconds = now_seconds() - t0;
    }
    struct stat ls;
    if (fstat(c->lock_fd, &ls) < 0)
        return err_sys(c->e, EXIT_RUNTIME, "cannot stat %s", stage_dst_path(c, STAGE_LOCK_NAME, p));
    /* The last stage marked the tree and never cleared the mark. */
    c->sweep = c->dirty = ls.st_size > 0;
    return 0;
}

int stage_mark_dirty(struct stage_ctx *c)
{
    char p[PATH_MAX];
    if (c->dirty)
        return 0;
    if (pwrite(c->lock_fd, dirty_text, sizeof dirty_text - 1, 0) != (ssize_t)(sizeof dirty_text - 1))
        return err_sys(c->e, EXIT_RUNTIME, "cannot write %s", stage_dst_path(c, STAGE_LOCK_NAME, p));
    c->dirty = 1;
    return 0;
}

void stage_unlock(struct stage_ctx *c, int clean)
{
    if (c->lock_fd < 0)
        return;
    if (clean && c->dirty && ftruncate(c->lock_fd, 0) == 0)
        c->dirty = 0;
    close(c->lock_fd);
    c->lock_fd = -1;
}
