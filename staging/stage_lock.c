/* stage_lock.c: one stage of a target at a time (cron may start two), by
 * flock on a file in the target that also says whether a stage died. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "../staging/stage_ctx.h"

static const char dirty_text[] = "a stage is modifying this tree\n";

/* The pid holding a flock on the file LS, from /proc/locks; -1: unknown. */
static long lock_holder(const struct stat *ls)
{
    FILE *f = fopen("/proc/locks", "re");
    if (!f)
        return -1;
    char line[256], type[16];
    long pid = -1, p;
    unsigned maj, min;
    unsigned long long ino;
    while (pid < 0 && fgets(line, sizeof line, f))
        /* "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF"; "->" lines wait. */
        if (!strstr(line, "->") && sscanf(line, "%*d: %15s %*s %*s %ld %x:%x:%llu", type, &p, &maj, &min, &ino) == 5 &&
            strcmp(type, "FLOCK") == 0 && maj == major(ls->st_dev) && min == minor(ls->st_dev) &&
            ino == (unsigned long long)ls->st_ino)
            pid = p;
    fclose(f);
    return pid;
}

/* Polls rather than blocks: a wait must end, and a signal to end it would
 * reach MPI too. Returns 0 locked, -1 with errno (ETIMEDOUT: in vain). */
static int wait_lock(int fd, double timeout)
{
    double end = now_seconds() + timeout;
    for (;;) {
        if (flock(fd, LOCK_EX | LOCK_NB) == 0)
            return 0;
        if (errno != EWOULDBLOCK && errno != EINTR)
            return -1;
        if (now_seconds() >= end) {
            errno = ETIMEDOUT;
            return -1;
        }
        struct timespec pause = {.tv_nsec = 50 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
}

/* The lock file: ours, regular, and 0600, so that no other user can open
 * it to hold the lock (older stages made it 0644). */
static int check_lock_file(int fd, const char *shown, struct err *e)
{
    struct stat ls;
    if (fstat(fd, &ls) < 0)
        return err_sys(e, EXIT_RUNTIME, "cannot stat %s", shown);
    if (!S_ISREG(ls.st_mode) || ls.st_uid != geteuid() || ls.st_nlink != 1)
        return err_set(e, EXIT_SETUP, "refusing the lock file %s: not a regular file of the stager's user", shown);
    if ((ls.st_mode & 07777) != 0600 && fchmod(fd, 0600) < 0)
        return err_sys(e, EXIT_RUNTIME, "cannot set the mode of %s", shown);
    return 0;
}

int stage_lock_open(int dfd, const char *name, const char *shown, struct err *e)
{
    int fd = openat(dfd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
    if (fd < 0)
        return err_sys(e, EXIT_RUNTIME, "cannot open the lock file %s", shown);
    if (check_lock_file(fd, shown, e) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static const char *holder_of(int fd, char *who, size_t n)
{
    struct stat ls;
    long holder = fstat(fd, &ls) == 0 ? lock_holder(&ls) : -1;
    if (holder > 0)
        snprintf(who, n, "pid %ld", holder);
    return who;
}

int stage_lock_wait(int fd, const struct lock_wait *w, double *waited, struct err *e)
{
    char who[64] = "another process";
    *waited = -1;
    if (flock(fd, LOCK_EX | LOCK_NB) == 0)
        return 0;
    if (errno != EWOULDBLOCK)
        return err_sys(e, EXIT_RUNTIME, "cannot lock %s", w->shown);
    if (w->log)
        fprintf(w->log, "harness: %s: waiting for its lock %s (held by %s) for up to %g s\n", w->what, w->shown,
                holder_of(fd, who, sizeof who), w->timeout);
    double t0 = now_seconds();
    if (wait_lock(fd, w->timeout) < 0) {
        if (errno != ETIMEDOUT)
            return err_sys(e, EXIT_RUNTIME, "cannot lock %s", w->shown);
        return err_set(e, EXIT_RUNTIME,
                       "gave up after %g s waiting for the lock %s, held by %s (the config's lock_timeout)",
                       w->timeout, w->shown, holder_of(fd, who, sizeof who));
    }
    *waited = now_seconds() - t0;
    return 0;
}

int stage_lock(struct stage_ctx *c, int root_fd)
{
    char p[PATH_MAX], what[PATH_MAX + 64];
    struct stat ls;
    double waited;
    stage_dst_path(c, STAGE_LOCK_NAME, p);
    if ((c->lock_fd = stage_lock_open(root_fd, STAGE_LOCK_NAME, p, c->e)) < 0)
        return -1;
    snprintf(what, sizeof what, "another stage of %s is running", c->o->target);
    struct lock_wait w = {.shown = p, .what = what, .timeout = c->o->lock_timeout, .log = c->o->log};
    if (stage_lock_wait(c->lock_fd, &w, &waited, c->e) < 0)
        return -1;
    if (waited >= 0) {
        c->st->waited_for_lock = 1;
        c->st->lock_wait_seconds = waited;
    }
    if (fstat(c->lock_fd, &ls) < 0)
        return err_sys(c->e, EXIT_RUNTIME, "cannot stat %s", p);
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
