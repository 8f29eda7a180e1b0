/* stage_target.c: the target opened from / one component at a time, never
 * through another user's symlink or directory; the marker that says it is ours. */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../staging/stage_ctx.h"
#include "base/dirs.h"

/* As the kernel's own limit on symlinks in one lookup. */
#define MAX_LINKS 40

static const char marker_text[] =
    "This directory is a copy of a virtualenv made by mpi4py-import's stager.\n"
    "The stager writes and deletes in it only because this file is here.\n";

static const char *owner(uid_t uid, char *buf, size_t n)
{
    struct passwd pw, *found = NULL;
    char tmp[1024];
    if (getpwuid_r(uid, &pw, tmp, sizeof tmp, &found) == 0 && found)
        snprintf(buf, n, "%s (uid %u)", found->pw_name, (unsigned)uid);
    else
        snprintf(buf, n, "uid %u", (unsigned)uid);
    return buf;
}

/* Why another user could change what the directory S holds (its entries
 * replaced, so what we open next is theirs), or NULL: it is owned by root
 * or us, and writable by nobody else but for the sticky bit (/tmp,
 * /dev/shm), under which only an entry's owner can rename or remove it. */
static const char *distrust(const struct stat *s, char *why, size_t n)
{
    char who[128];
    if (s->st_uid != 0 && s->st_uid != geteuid())
        snprintf(why, n, "is owned by %s", owner(s->st_uid, who, sizeof who));
    else if (s->st_mode & S_ISVTX)
        return NULL;
    else if (s->st_mode & S_IWOTH)
        snprintf(why, n, "is writable by every user (mode %04o, not sticky)", (unsigned)(s->st_mode & 07777));
    else if ((s->st_mode & S_IWGRP) && s->st_gid != 0 && s->st_gid != getegid())
        snprintf(why, n, "is writable by group %u (mode %04o, not sticky)", (unsigned)s->st_gid,
                 (unsigned)(s->st_mode & 07777));
    else
        return NULL;
    return why;
}

/* The target itself: ours alone, whatever bits its parents may have. */
static const char *distrust_top(const struct stat *s, char *why, size_t n)
{
    char who[128], me[128];
    if (s->st_uid != geteuid())
        snprintf(why, n, "is owned by %s, not by %s", owner(s->st_uid, who, sizeof who),
                 owner(geteuid(), me, sizeof me));
    else if (s->st_mode & (S_IWGRP | S_IWOTH))
        snprintf(why, n, "is writable by other users (mode %04o)", (unsigned)(s->st_mode & 07777));
    else
        return NULL;
    return why;
}

static int refuse(struct stage_ctx *c, const char *path, const char *why)
{
    if (strcmp(path, c->target) == 0)
        return err_set(c->e, EXIT_SETUP, "refusing the target %s: it %s", c->target, why);
    return err_set(c->e, EXIT_SETUP, "refusing the target %s: %s %s", c->target, path, why);
}

/* SHOWN, the path opened so far for messages, with NAME added or (for
 * "..") its last component taken off. */
static void shown_step(char *shown, const char *name)
{
    size_t n = strlen(shown);
    if (strcmp(name, "..") == 0) {
        char *slash = strrchr(shown, '/');
        if (slash)
            *slash = '\0';
    } else {
        snprintf(shown + n, PATH_MAX - n, "/%s", name);
    }
}

/* NAME below DFD as a directory fd, created if missing (CREATED set): a
 * symlink returns -2 with its text in LINK, after its owner is checked. */
static int open_component(struct stage_ctx *c, int dfd, const char *name, int last, const char *shown, char *link,
                          int *created)
{
    struct stat st;
    char why[256], who[128];
    while (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        if (errno != ENOENT)
            return err_sys(c->e, EXIT_RUNTIME, "cannot stat the target directory %s", shown);
        /* Ours from the start: 0755 at most for the parents, the top
         * owner-only until the stage gives it the source's mode. */
        if (mkdirat(dfd, name, last ? 0700 : 0755) == 0)
            *created = 1;
        else if (errno != EEXIST)
            return err_sys(c->e, EXIT_RUNTIME, "cannot create the target directory %s", shown);
    }
    if (S_ISLNK(st.st_mode)) {
        /* Only a link of root's or ours, in a directory found safe, is
         * one the user chose (/var/run -> /run, $SCRATCH links). */
        if (st.st_uid != 0 && st.st_uid != geteuid()) {
            snprintf(why, sizeof why, "is a symlink owned by %s", owner(st.st_uid, who, sizeof who));
            return refuse(c, shown, why);
        }
        ssize_t n = readlinkat(dfd, name, link, PATH_MAX - 1);
        if (n <= 0)
            return err_sys(c->e, EXIT_RUNTIME, "cannot read the symlink %s", shown);
        link[n] = '\0';
        return -2;
    }
    int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return err_sys(c->e, EXIT_RUNTIME, "cannot open the target directory %s", shown);
    /* Checked on what was opened: a swap after the lstat changes nothing. */
    const char *bad = fstat(fd, &st) < 0 ? strerror(errno)
                      : last             ? distrust_top(&st, why, sizeof why)
                                         : distrust(&st, why, sizeof why);
    if (bad) {
        close(fd);
        return refuse(c, shown, bad);
    }
    return fd;
}

/* The first component of REST into NAME (REST advanced past it and its
 * slashes); 0 when REST holds no more. */
static int next_name(char *rest, char *name)
{
    size_t skip = strspn(rest, "/"), len = strcspn(rest + skip, "/");
    if (len == 0 || len >= NAME_MAX + 1)
        return len != 0 ? -1 : 0;
    memcpy(name, rest + skip, len);
    name[len] = '\0';
    size_t after = skip + len + strspn(rest + skip + len, "/");
    memmove(rest, rest + after, strlen(rest + after) + 1);
    return 1;
}

static int open_root(struct stage_ctx *c)
{
    char why[256];
    struct stat st;
    int fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return err_sys(c->e, EXIT_RUNTIME, "cannot open /");
    if (fstat(fd, &st) == 0 && distrust(&st, why, sizeof why)) {
        close(fd);
        return refuse(c, "/", why);
    }
    return fd;
}

/* REST = LINK + "/" + REST; an absolute LINK starts again from /. */
static int follow(struct stage_ctx *c, int *fd, char *rest, size_t cap, const char *link, char *shown)
{
    if (strlen(link) + strlen(rest) + 2 > cap)
        return err_set(c->e, EXIT_RUNTIME, "the target %s: path too long through symlinks", c->o->target);
    memmove(rest + strlen(link) + 1, rest, strlen(rest) + 1);
    memcpy(rest, link, strlen(link));
    rest[strlen(link)] = '/';
    if (link[0] != '/')
        return 0;
    close(*fd);
    shown[0] = '\0';
    return (*fd = open_root(c)) < 0 ? -1 : 0;
}

int stage_open_target(struct stage_ctx *c, const char *path, int *fresh)
{
    char rest[2 * PATH_MAX], name[NAME_MAX + 1], link[PATH_MAX], shown[PATH_MAX] = "";
    *fresh = 0;
    if (path[0] != '/')
        return err_set(c->e, EXIT_USAGE, "the target %s is not an absolute path", path);
    if (strlen(path) >= PATH_MAX)
        return err_set(c->e, EXIT_USAGE, "the target %s is too long", path);
    snprintf(rest, sizeof rest, "%s", path);
    int fd = open_root(c), links = 0, got;
    while (fd >= 0 && (got = next_name(rest, name)) != 0) {
        if (got < 0) {
            close(fd);
            return err_set(c->e, EXIT_USAGE, "the target %s has a component that is too long", path);
        }
        if (strcmp(name, ".") == 0)
            continue;
        int created = 0, last = rest[0] == '\0';
        shown_step(shown, name);
        int nfd = open_component(c, fd, name, last, shown[0] ? shown : "/", link, &created);
        if (nfd == -2) {
            shown_step(shown, "..");
            nfd = ++links > MAX_LINKS ? err_set(c->e, EXIT_SETUP, "the target %s: too many symlinks", path)
                                       : follow(c, &fd, rest, sizeof rest, link, shown);
            if (nfd == 0)
                continue;
        }
        close(fd);
        fd = nfd;
        *fresh = created && last;
    }
    return fd;
}

int stage_trusted_dir(const char *path, struct err *e)
{
    /* Its callers' paths (--out, a spool directory) may be relative: the
     * walk from / judges every component, the current directory's too. */
    char *abs = absolute_path(path);
    struct stage_opts o = {.target = abs};
    struct stage_ctx c = {.o = &o, .e = e, .target = abs};
    int fresh;
    int fd = stage_open_target(&c, abs, &fresh);
    free(abs);
    return fd;
}

int stage_trusted_parent(const char *path, const char *place, struct err *e)
{
    struct stage_opts o = {.target = place};
    struct stage_ctx c = {.o = &o, .e = e, .target = place};
    int fresh;
    char *dot;
    if (asprintf(&dot, "%s/.", path) < 0)
        return err_sys(e, EXIT_RUNTIME, "cannot open %s", path);
    /* PATH/. : PATH is no longer the last component, so it is judged as
     * an ancestor; "." itself is skipped. */
    int fd = stage_open_target(&c, dot, &fresh);
    free(dot);
    return fd;
}

/* Only the stager's own files: a directory someone made for it to fill. */
static int holds_nothing_else(int fd)
{
    char **names;
    size_t n;
    if (stage_list_dir(fd, &names, &n) < 0)
        return 0;
    int only_own = 1;
    for (size_t i = 0; i < n; i++)
        only_own &= stage_skip_name(names[i], 1) && !stage_is_pyc(names[i]);
    stage_free_names(names, n);
    return only_own;
}

/* 1: FD's marker is there and only we can have written it; 0: none;
 * -1 with errno (EPERM: a marker someone else can have written). */
static int marker_state(int fd)
{
    struct stat st;
    int m = openat(fd, STAGE_MARKER_NAME, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (m < 0)
        return errno == ENOENT ? 0 : errno == ELOOP ? (errno = EPERM, -1) : -1;
    int ok = fstat(m, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() && st.st_nlink == 1 &&
             !(st.st_mode & (S_IWGRP | S_IWOTH));
    close(m);
    if (!ok)
        errno = EPERM;
    return ok ? 1 : -1;
}

int stage_is_marked(int fd)
{
    return marker_state(fd) == 1;
}

/* 1: the marker is there and only we can have written it; 0: none; -1. */
static int has_marker(struct stage_ctx *c, int fd)
{
    int have = marker_state(fd);
    if (have >= 0)
        return have;
    if (errno != EPERM)
        return err_sys(c->e, EXIT_RUNTIME, "cannot open the marker of %s", c->o->target);
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/%s", c->target, STAGE_MARKER_NAME);
    return refuse(c, p, "is not a file only its owner can write");
}

int stage_mark(int fd)
{
    int m = openat(fd, STAGE_MARKER_NAME, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (m < 0)
        return -1;
    ssize_t w = write(m, marker_text, sizeof marker_text - 1);
    int saved = errno;
    if (close(m) == 0 && w == (ssize_t)(sizeof marker_text - 1))
        return 0;
    errno = w < 0 ? saved : EIO;
    return -1;
}

int stage_check_marker(struct stage_ctx *c, int fd, int fresh)
{
    for (int tries = 0; tries < 2; tries++) {
        int have = has_marker(c, fd);
        /* Listed after the marker was looked for: a stage that created the
         * target marks it before anything else, so look once more. */
        if (have == 0 && !fresh && !holds_nothing_else(fd) && (have = has_marker(c, fd)) == 0)
            return refuse(c, c->target,
                          "holds files but no " STAGE_MARKER_NAME
                          ": it is not a tree the stager made (remove it, or name a new or empty directory)");
        if (have != 0)
            return have < 0 ? -1 : 0;
        int m = stage_mark(fd);
        if (m < 0 && errno == EEXIST)
            continue;   /* another stage marked it meanwhile: check its marker */
        if (m == 0)
            return 0;
        return err_sys(c->e, EXIT_RUNTIME, "cannot write the marker %s/%s", c->target, STAGE_MARKER_NAME);
    }
    return err_set(c->e, EXIT_RUNTIME, "cannot mark %s as the stager's", c->target);
}
