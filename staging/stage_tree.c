/* stage_tree.c: one stage from start to end: the source and target tops,
 * the lock, the manifest, the walk, the top's own attributes, the clock. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "../staging/stage_ctx.h"

int stage_open_source(const char *path, struct stat *s, struct err *e)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT)
        return err_set(e, EXIT_SETUP, "the source virtualenv %s does not exist", path);
    if (fd < 0)
        return err_sys(e, EXIT_SETUP, "cannot open the source virtualenv %s", path);
    if (fstat(fd, s) < 0) {
        close(fd);
        return err_sys(e, EXIT_SETUP, "cannot stat the source virtualenv %s", path);
    }
    return fd;
}

/* TARGET's real path though it may not exist yet: its deepest existing
 * ancestor resolved, the rest as written. NULL if nothing resolves. */
static char *real_target(const char *target)
{
    char *head = strdup(target), *out = NULL;
    for (;;) {
        char *real = realpath(head[0] ? head : "/", NULL);
        if (real) {
            size_t h = strlen(head);
            out = malloc(strlen(real) + strlen(target + h) + 1);
            strcpy(out, strcmp(real, "/") == 0 ? "" : real);
            strcat(out, target + h);
            free(real);
            break;
        }
        char *slash = strrchr(head, '/');
        if (!slash)
            break;
        *slash = '\0';
    }
    free(head);
    return out;
}

static int below(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    return strncmp(path, dir, n) == 0 && path[n] == '/';
}

/* Before anything is created: a tree staged into itself would copy
 * without end, and --delete would remove a source inside its target. */
static int check_apart(const char *source, const char *target, struct err *e)
{
    char *rs = realpath(source, NULL), *rt = real_target(target);
    int rc = 0;
    if (rs && rt && strcmp(rs, rt) == 0)
        rc = err_set(e, EXIT_USAGE, "the target %s is the source virtualenv %s itself", target, source);
    else if (rs && rt && below(rt, rs))
        rc = err_set(e, EXIT_USAGE, "the target %s is inside the source virtualenv %s", target, source);
    else if (rs && rt && below(rs, rt))
        rc = err_set(e, EXIT_USAGE, "the source virtualenv %s is inside the target %s", source, target);
    free(rs);
    free(rt);
    return rc;
}

static char *trimmed(const char *path)
{
    char *t = strdup(path);
    for (size_t n = strlen(t); n > 1 && t[n - 1] == '/'; n--)
        t[n - 1] = '\0';
    return t;
}

int stage_begin(struct stage_ctx *c, const struct stage_opts *opts, struct stage_stats *st, struct err *e)
{
    char p[PATH_MAX];
    struct stat t;
    *c = (struct stage_ctx){.o = opts, .st = st, .e = e, .src_root = -1, .lock_fd = -1, .unlock_fd = -1,
                            .pid = getpid()};
    stage_rs_quiet();
    /* Read, and put back at once: the umask decides whether a new file
     * needs a chmod after its open. */
    c->umask = umask(0);
    umask(c->umask);
    c->target = trimmed(opts->target);
    int fresh = 0;
    int dfd = check_apart(opts->source, opts->target, e) < 0 ? -1 : stage_open_target(c, opts->target, &fresh);
    if (dfd < 0)
        return -1;
    if (stage_check_marker(c, dfd, fresh) < 0) {
        close(dfd);
        return -1;
    }
    /* The lock file goes in at once: the top must be writable first. */
    if (fstat(dfd, &t) < 0 || ((t.st_mode & 0700) != 0700 && fchmod(dfd, (t.st_mode & 07777) | 0700) < 0)) {
        err_sys(e, EXIT_RUNTIME, "cannot make %s writable", stage_dst_path(c, "", p));
    } else if (stage_lock(c, dfd) == 0) {
        manifest_load(c, dfd);
        return dfd;
    }
    close(dfd);
    return -1;
}

void stage_end(struct stage_ctx *c, int dfd, int clean)
{
    stage_unlock(c, clean);
    manifest_free(&c->man);
    stage_fixup_free(c);
    free((char *)c->target);
    c->target = NULL;
    if (dfd >= 0)
        close(dfd);
}

int stage_tree(const struct stage_opts *opts, struct stage_stats *st, struct err *e)
{
    double t0 = now_seconds();
    memset(st, 0, sizeof *st);
    struct stage_ctx c;
    struct stat s;
    int src_root = stage_open_source(opts->source, &s, e);
    if (src_root < 0)
        return -1;
    int dfd = stage_begin(&c, opts, st, e);
    c.src_root = src_root;
    progress_start(&c.prog, opts->progress);
    int rc = dfd < 0 ? -1 : 0;
    if (rc == 0 && (stage_walk_dir(&c, src_root, dfd, 0) < 0 || manifest_save(&c, dfd) < 0))
        rc = -1;
    /* Last: the lock file and the manifest changed the top's mtime. */
    if (rc == 0)
        rc = stage_dir_attrs(&c, dfd, &s);
    progress_end(&c.prog);
    stage_end(&c, dfd, rc == 0);
    close(src_root);
    st->seconds = now_seconds() - t0;
    return rc;
}
