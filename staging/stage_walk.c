/* stage_walk.c: the walk over the source: each entry compared with the
 * target's by lstat alone, then handed to the step that brings it over. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../staging/stage_ctx.h"

static const char *join(const char *root, const struct stage_ctx *c, const char *name, char *buf)
{
    /* Without a name: the directory itself, without rel's trailing slash. */
    int rel_len = (int)c->rel_len - (!name[0] && c->rel_len > 0);
    snprintf(buf, PATH_MAX, "%s%s%.*s%s", root, c->rel_len || name[0] ? "/" : "", rel_len, c->rel, name);
    return buf;
}

const char *stage_src_path(const struct stage_ctx *c, const char *name, char *buf)
{
    return join(c->o->source, c, name, buf);
}

const char *stage_dst_path(const struct stage_ctx *c, const char *name, char *buf)
{
    return join(c->o->target, c, name, buf);
}

int stage_same_mtime(const struct timespec *s, const struct timespec *t)
{
    return s->tv_sec == t->tv_sec && (s->tv_nsec == t->tv_nsec || t->tv_nsec == 0);
}

int stage_same_file(const struct stat *s, const struct stat *t)
{
    return s->st_size == t->st_size && stage_same_mtime(&s->st_mtim, &t->st_mtim);
}

int stage_is_pyc(const char *name)
{
    size_t n = strlen(name);
    return n >= 4 && memcmp(name + n - 4, ".pyc", 4) == 0;
}

static int own_name(int at_top, const char *name)
{
    return at_top && (strcmp(name, STAGE_LOCK_NAME) == 0 || strcmp(name, STAGE_MANIFEST_NAME) == 0 ||
                      strcmp(name, STAGE_MARKER_NAME) == 0);
}

int stage_is_own(const struct stage_ctx *c, const char *name)
{
    return own_name(c->rel_len == 0, name);
}

/* Never staged: bytecode, and the stager's own files (a staged tree may
 * itself be the source of another stage). */
int stage_skip_name(const char *name, int at_top)
{
    return stage_is_pyc(name) || stage_is_tmp_name(name) || own_name(at_top, name);
}

static int excluded(const struct stage_ctx *c, const char *name)
{
    return stage_skip_name(name, c->rel_len == 0);
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int stage_list_dir(int fd, char ***out, size_t *n)
{
    char buf[32768];
    size_t cap = 64;
    char **v = malloc(cap * sizeof *v);
    *n = 0;
    for (;;) {
        ssize_t got = getdents64(fd, buf, sizeof buf);
        if (got < 0) {
            int saved = errno;
            stage_free_names(v, *n);
            errno = saved;
            return -1;
        }
        if (got == 0)
            break;
        for (ssize_t off = 0; off < got;) {
            struct dirent64 *d = (struct dirent64 *)(buf + off);
            off += d->d_reclen;
            if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
                continue;
            if (*n == cap)
                v = realloc(v, (cap *= 2) * sizeof *v);
            v[(*n)++] = strdup(d->d_name);
        }
    }
    qsort(v, *n, sizeof *v, cmp_names);
    *out = v;
    return 0;
}

void stage_free_names(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

int stage_foreign(const struct stat *t)
{
    return t->st_uid != geteuid() || (!S_ISDIR(t->st_mode) && t->st_nlink > 1);
}

int stage_chmod_at(struct stage_ctx *c, int dfd, const char *name, const struct stat *t, mode_t mode)
{
    char p[PATH_MAX], self[64];
    struct stat now;
    /* Through a descriptor of what was examined: a symlink or another file
     * put there since is never touched. Linux has no fchmod on an O_PATH
     * descriptor; its /proc/self/fd link names that very inode, not a path
     * looked up again (glibc's fchmodat with AT_SYMLINK_NOFOLLOW does so). */
    int fd = openat(dfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return err_sys(c->e, EXIT_RUNTIME, "cannot set the mode of %s", stage_dst_path(c, name, p));
    int same = fstat(fd, &now) == 0 && now.st_ino == t->st_ino && now.st_dev == t->st_dev &&
               (now.st_mode & S_IFMT) == (t->st_mode & S_IFMT) && !S_ISLNK(now.st_mode);
    int rc = 0;
    if (!same) {
        rc = err_set(c->e, EXIT_RUNTIME, "%s was replaced while being staged: its mode is left alone",
                     stage_dst_path(c, name, p));
    } else {
        snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
        if (chmod(self, mode) < 0 && (errno != ENOENT || fchmodat(dfd, name, mode, AT_SYMLINK_NOFOLLOW) < 0))
            rc = err_sys(c->e, EXIT_RUNTIME, "cannot set the mode of %s", stage_dst_path(c, name, p));
    }
    close(fd);
    return rc;
}

int stage_fix_mode(struct stage_ctx *c, int dfd, const char *name, const struct stat *s, const struct stat *t)
{
    mode_t want = STAGE_MODE(s->st_mode);
    if ((t->st_mode & 07777) == want)
        return 0;
    return stage_chmod_at(c, dfd, name, t, want);
}

int stage_dir_attrs(struct stage_ctx *c, int fd, const struct stat *s)
{
    struct stat now;
    char p[PATH_MAX];
    if (fstat(fd, &now) < 0)
        return err_sys(c->e, EXIT_RUNTIME, "cannot stat %s", stage_dst_path(c, "", p));
    if ((now.st_mode & 07777) != STAGE_MODE(s->st_mode) && fchmod(fd, STAGE_MODE(s->st_mode)) < 0)
        return err_sys(c->e, EXIT_RUNTIME, "cannot set the mode of %s", stage_dst_path(c, "", p));
    struct timespec times[2] = {{.tv_nsec = UTIME_OMIT}, s->st_mtim};
    if (!stage_same_mtime(&s->st_mtim, &now.st_mtim) && futimens(fd, times) < 0)
        return err_sys(c->e, EXIT_RUNTIME, "cannot set the mtime of %s", stage_dst_path(c, "", p));
    return 0;
}

int stage_dir_writable(struct stage_ctx *c)
{
    char p[PATH_MAX];
    if (c->unlock_fd < 0)
        return 0;
    if (fchmod(c->unlock_fd, c->unlock_mode | 0700) < 0)
        return err_sys(c->e, EXIT_RUNTIME, "cannot make %s writable", stage_dst_path(c, "", p));
    c->unlock_fd = -1;
    return 0;
}

static int open_dir(struct stage_ctx *c, int parent, const char *name, int src)
{
    char p[PATH_MAX];
    int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        err_sys(c->e, EXIT_RUNTIME, "cannot open directory %s",
                src ? stage_src_path(c, name, p) : stage_dst_path(c, name, p));
    return fd;
}

static int walk_into(struct stage_ctx *c, int sfd, int dfd, const char *name, const struct stat *s,
                     const struct stat *t, int fresh)
{
    char p[PATH_MAX];
    size_t saved = c->rel_len, len = strlen(name);
    if (saved + len + 2 > sizeof c->rel)
        return err_set(c->e, EXIT_RUNTIME, "path too long: %s", stage_src_path(c, name, p));
    int nsfd = open_dir(c, sfd, name, 1), ndfd = nsfd < 0 ? -1 : open_dir(c, dfd, name, 0);
    int rc = ndfd < 0 ? -1 : 0;
    if (rc == 0) {
        int outer_fd = c->unlock_fd;
        mode_t outer_mode = c->unlock_mode;
        c->unlock_fd = t && (t->st_mode & 0700) != 0700 ? ndfd : -1;
        c->unlock_mode = t ? t->st_mode & 07777 : 0;
        memcpy(c->rel + saved, name, len);
        memcpy(c->rel + saved + len, "/", 2);
        c->rel_len = saved + len + 1;
        rc = stage_walk_dir(c, nsfd, ndfd, fresh);
        if (rc == 0)
            rc = stage_dir_attrs(c, ndfd, s);
        c->rel_len = saved;
        c->rel[saved] = '\0';
        c->unlock_fd = outer_fd;
        c->unlock_mode = outer_mode;
    }
    if (nsfd >= 0)
        close(nsfd);
    if (ndfd >= 0)
        close(ndfd);
    return rc;
}

static int stage_subdir(struct stage_ctx *c, int sfd, int dfd, const char *name, const struct stat *s,
                        const struct stat *t)
{
    char p[PATH_MAX];
    /* A file or a symlink (wherever it points) where a directory belongs. */
    if ((!t || !S_ISDIR(t->st_mode)) && stage_dir_writable(c) < 0)
        return -1;
    if (t && !S_ISDIR(t->st_mode)) {
        if (unlinkat(dfd, name, 0) < 0)
            return err_sys(c->e, EXIT_RUNTIME, "cannot remove %s", stage_dst_path(c, name, p));
        t = NULL;
    }
    if (!t && mkdirat(dfd, name, 0700) < 0)
        return err_sys(c->e, EXIT_RUNTIME, "cannot create directory %s", stage_dst_path(c, name, p));
    if (t)
        c->st->up_to_date++;
    else
        c->st->copied++;
    return walk_into(c, sfd, dfd, name, s, t, !t);
}

static int stage_regular(struct stage_ctx *c, int sfd, int dfd, const char *name, const struct stat *s,
                         const struct stat *t)
{
    int rc = stage_fixup_file(c, sfd, dfd, name, s, t);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    if (t && S_ISREG(t->st_mode) && stage_same_file(s, t)) {
        c->st->up_to_date++;
        return stage_fix_mode(c, dfd, name, s, t);
    }
    if (t && S_ISREG(t->st_mode))
        return stage_delta_file(c, sfd, dfd, name, s, t);
    /* A directory must go first; a symlink is replaced by the rename. */
    if (t && S_ISDIR(t->st_mode) && stage_remove(c, dfd, name, 0) < 0)
        return -1;
    return stage_copy_file(c, sfd, dfd, name, s);
}

static int stage_symlink(struct stage_ctx *c, int sfd, int dfd, const char *name, const struct stat *s,
                         const struct stat *t)
{
    char want[PATH_MAX], have[PATH_MAX], p[PATH_MAX];
    ssize_t n = readlinkat(sfd, name, want, sizeof want - 1);
    if (n < 0)
        return err_sys(c->e, EXIT_RUNTIME, "cannot read symlink %s", stage_src_path(c, name, p));
    want[n] = '\0';
    if (t && S_ISLNK(t->st_mode) && readlinkat(dfd, name, have, sizeof have) == n && memcmp(want, have, (size_t)n) == 0) {
        c->st->up_to_date++;
        return 0;
    }
    if (t && S_ISDIR(t->st_mode) && stage_remove(c, dfd, name, 0) < 0)
        return -1;
    if (stage_tmp_symlink(c, dfd, want, name, s) < 0)
        return -1;
    c->st->copied++;
    return 0;
}

static int stage_entry(struct stage_ctx *c, int sfd, int dfd, const char *name, int fresh)
{
    struct stat s, t;
    char p[PATH_MAX];
    if (fstatat(sfd, name, &s, AT_SYMLINK_NOFOLLOW) < 0)
        return err_sys(c->e, EXIT_RUNTIME, "cannot stat %s", stage_src_path(c, name, p));
    /* In a directory just created there is nothing to look at. */
    const struct stat *tp = NULL;
    if (!fresh && fstatat(dfd, name, &t, AT_SYMLINK_NOFOLLOW) == 0)
        tp = &t;
    else if (!fresh && errno != ENOENT)
        return err_sys(c->e, EXIT_RUNTIME, "cannot stat %s", stage_dst_path(c, name, p));
    if (tp && stage_foreign(tp)) {
        if (stage_remove(c, dfd, name, 0) < 0)
            return -1;
        tp = NULL;
    }
    c->st->entries++;
    int rc = 0;
    switch (s.st_mode & S_IFMT) {
    case S_IFDIR: rc = stage_subdir(c, sfd, dfd, name, &s, tp); break;
    case S_IFREG: rc = stage_regular(c, sfd, dfd, name, &s, tp); break;
    case S_IFLNK: rc = stage_symlink(c, sfd, dfd, name, &s, tp); break;
    default: c->st->skipped++; break;
    }
    progress_add(&c->prog, 1, S_ISREG(s.st_mode) ? s.st_size : 0);
    return rc;
}

int stage_walk_dir(struct stage_ctx *c, int sfd, int dfd, int fresh)
{
    char **names, p[PATH_MAX];
    size_t n, kept = 0;
    if (stage_list_dir(sfd, &names, &n) < 0)
        return err_sys(c->e, EXIT_RUNTIME, "cannot read directory %s", stage_src_path(c, "", p));
    for (size_t i = 0; i < n; i++) {
        if (excluded(c, names[i]))
            free(names[i]);
        else
            names[kept++] = names[i];
    }
    int rc = 0;
    for (size_t i = 0; i < kept && rc == 0; i++)
        rc = stage_entry(c, sfd, dfd, names[i], fresh);
    if (rc == 0 && !fresh && (c->o->delete_extra || c->sweep))
        rc = stage_extras(c, dfd, names, kept);
    stage_free_names(names, kept);
    return rc;
}
