/* bcast_local.c: a node's copy of the broadcast venv, as its leader rank
 * surveys, writes, patches and fixes it up, through the stager's own
 * context: its lock, temporary files, fix-ups and manifest (the state). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/atomic_write.h"
#include "../staging/bcast_tree.h"
#include "../staging/stage_ctx.h"

struct bcast_local {
    struct stage_ctx c;      /* c.rel: the directory of the entry at hand */
    struct stage_opts o;
    struct stage_stats st;   /* the stager's counts: not reported */
    const struct tree_manifest *m;
    int root;
    int dirfd;               /* the directory DIRREL, open (cached) */
    char dirrel[PATH_MAX];
    unsigned char *written;  /* per entry: rewritten by this run */
    struct stage_tmp tmp;    /* the file being received; fd -1: none */
    size_t tmp_idx;
    int finished;
};

static struct stat entry_stat(const struct tree_entry *x)
{
    struct stat s = {0};
    s.st_mode = x->mode | (x->type == TREE_DIR ? S_IFDIR : x->type == TREE_LINK ? S_IFLNK : S_IFREG);
    s.st_size = (off_t)x->size;
    s.st_mtim = x->mtime;
    return s;
}

/* The directory DIR (below the top, "" for it) open, the stager's
 * context pointed at it: its messages and fix-ups go by c.rel. */
static int open_dir(struct bcast_local *l, const char *dir, size_t n)
{
    char p[PATH_MAX];
    if (n + 2 > sizeof l->c.rel)
        return err_set(l->c.e, EXIT_RUNTIME, "path too long: %s/%.*s", l->c.target, (int)n, dir);
    memcpy(l->c.rel, dir, n);
    l->c.rel_len = n;
    if (n)
        l->c.rel[l->c.rel_len++] = '/';
    l->c.rel[l->c.rel_len] = '\0';
    if (l->dirfd >= 0 && strlen(l->dirrel) == n && memcmp(l->dirrel, dir, n) == 0)
        return l->dirfd;
    if (l->dirfd >= 0 && l->dirfd != l->root)
        close(l->dirfd);
    l->dirfd = l->root;
    if (n > 0) {
        memcpy(l->dirrel, dir, n);
        l->dirrel[n] = '\0';
        /* The survey made every directory of the manifest a real one,
         * parents first: none of the components is a symlink. */
        l->dirfd = openat(l->root, l->dirrel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (l->dirfd < 0)
            return err_sys(l->c.e, EXIT_RUNTIME, "cannot open directory %s", stage_dst_path(&l->c, "", p));
    } else {
        l->dirrel[0] = '\0';
    }
    return l->dirfd;
}

/* The directory holding entry IDX; *NAME its last component. */
static int at(struct bcast_local *l, size_t idx, const char **name)
{
    const char *rel = l->m->v[idx].rel, *slash = strrchr(rel, '/');
    *name = slash ? slash + 1 : rel;
    return open_dir(l, rel, slash ? (size_t)(slash - rel) : 0);
}

struct bcast_local *bcast_local_open(const struct tree_manifest *m, const char *dir, FILE *log, double lock_timeout,
                                     struct err *e)
{
    struct bcast_local *l = calloc(1, sizeof *l);
    l->m = m;
    l->dirfd = -1;
    l->tmp.fd = -1;
    l->o = (struct stage_opts){.source = m->source, .target = dir, .log = log,
                                .lock_timeout = lock_timeout};
    l->root = stage_begin(&l->c, &l->o, &l->st, e);
    if (l->root < 0) {
        stage_end(&l->c, -1, 0);
        free(l);
        return NULL;
    }
    l->written = calloc(m->n ? m->n : 1, 1);
    /* The source's old places come with the manifest: a leader may not
     * see the source at all. */
    for (int i = 0; i < m->nprefixes; i++)
        l->c.prefixes[l->c.nprefixes++] = strdup(m->prefixes[i]);
    l->c.prefixes_loaded = 1;
    return l;
}

static void drop(struct bcast_local *l)
{
    if (l->tmp.fd >= 0)
        stage_tmp_abort(&l->tmp);
}

void bcast_local_close(struct bcast_local *l)
{
    if (!l)
        return;
    drop(l);
    if (l->dirfd >= 0 && l->dirfd != l->root)
        close(l->dirfd);
    stage_end(&l->c, l->root, l->finished);
    free(l->written);
    free(l);
}

static int survey_dir(struct bcast_local *l, int dfd, const char *name, const struct stat *t)
{
    char p[PATH_MAX];
    if (t && S_ISDIR(t->st_mode)) {
        /* Written into before the finish gives it its own mode back. */
        if ((t->st_mode & 0700) != 0700 && stage_chmod_at(&l->c, dfd, name, t, (t->st_mode & 07777) | 0700) < 0)
            return -1;
        return BCAST_HAVE;
    }
    if (t && stage_remove(&l->c, dfd, name, 0) < 0)
        return -1;
    if (mkdirat(dfd, name, 0700) < 0)
        return err_sys(l->c.e, EXIT_RUNTIME, "cannot create directory %s", stage_dst_path(&l->c, name, p));
    return BCAST_MISSING;
}

static int survey_link(struct bcast_local *l, int dfd, const char *name, const struct tree_entry *x,
                       const struct stat *s, const struct stat *t)
{
    char have[PATH_MAX];
    size_t want = strlen(x->link);
    if (t && S_ISLNK(t->st_mode) && readlinkat(dfd, name, have, sizeof have) == (ssize_t)want &&
        memcmp(have, x->link, want) == 0)
        return BCAST_HAVE;
    if (t && S_ISDIR(t->st_mode) && stage_remove(&l->c, dfd, name, 0) < 0)
        return -1;
    return stage_tmp_symlink(&l->c, dfd, x->link, name, s) < 0 ? -1 : BCAST_MISSING;
}

static int survey_file(struct bcast_local *l, int dfd, const char *name, const struct tree_entry *x,
                       const struct stat *s, const struct stat *t)
{
    if (t && S_ISREG(t->st_mode)) {
        /* A fixed-up file differs from its source, as its state says. */
        struct manifest_entry *f = manifest_find(&l->c, x->rel);
        if (stage_same_file(s, t) || (f && manifest_matches(f, s, t)))
            return stage_fix_mode(&l->c, dfd, name, s, t) < 0 ? -1 : BCAST_HAVE;
        return BCAST_CHANGED;
    }
    /* A directory or a symlink where the file belongs: never written through. */
    if (t && stage_remove(&l->c, dfd, name, 0) < 0)
        return -1;
    return BCAST_MISSING;
}

static int survey_entry(struct bcast_local *l, size_t idx)
{
    char p[PATH_MAX];
    const struct tree_entry *x = &l->m->v[idx];
    const char *name;
    struct stat t, s = entry_stat(x);
    int dfd = at(l, idx, &name);
    if (dfd < 0)
        return -1;
    const struct stat *tp = NULL;
    if (fstatat(dfd, name, &t, AT_SYMLINK_NOFOLLOW) == 0)
        tp = &t;
    else if (errno != ENOENT)
        return err_sys(l->c.e, EXIT_RUNTIME, "cannot stat %s", stage_dst_path(&l->c, name, p));
    if (tp && stage_foreign(tp)) {
        if (stage_remove(&l->c, dfd, name, 0) < 0)
            return -1;
        tp = NULL;
    }
    if (x->type == TREE_DIR)
        return survey_dir(l, dfd, name, tp);
    if (x->type == TREE_LINK)
        return survey_link(l, dfd, name, x, &s, tp);
    return survey_file(l, dfd, name, x, &s, tp);
}

/* After a run that died: its temporary files go, in every directory. */
static int sweep(struct bcast_local *l)
{
    int fd = open_dir(l, "", 0);
    if (fd < 0 || stage_extras(&l->c, fd, NULL, 0) < 0)
        return -1;
    for (size_t i = 0; i < l->m->n; i++) {
        const struct tree_entry *x = &l->m->v[i];
        if (x->type == TREE_DIR && ((fd = open_dir(l, x->rel, strlen(x->rel))) < 0 ||
                                     stage_extras(&l->c, fd, NULL, 0) < 0))
            return -1;
    }
    return 0;
}

int bcast_local_survey(struct bcast_local *l, unsigned char *status)
{
    for (size_t i = 0; i < l->m->n; i++) {
        int st = survey_entry(l, i);
        if (st < 0)
            return -1;
        status[i] = (unsigned char)st;
    }
    return l->c.sweep ? sweep(l) : 0;
}

int bcast_local_put(struct bcast_local *l, size_t idx, const char *data, long long off, size_t n)
{
    char p[PATH_MAX];
    const struct tree_entry *x = &l->m->v[idx];
    const char *name;
    if (off == 0)
        drop(l);
    int dfd = at(l, idx, &name);
    if (dfd < 0)
        return -1;
    if (off == 0 && stage_tmp_create(&l->c, dfd, name, x->mode, &l->tmp) < 0)
        return -1;
    if (off == 0)
        l->tmp_idx = idx;
    if (l->tmp.fd < 0 || l->tmp_idx != idx)
        return err_set(l->c.e, EXIT_RUNTIME, "%s: a piece at byte %lld came without its start",
                       stage_dst_path(&l->c, name, p), off);
    if (write_full(l->tmp.fd, data, n) < 0) {
        err_sys(l->c.e, EXIT_RUNTIME, "cannot write %s", stage_dst_path(&l->c, name, p));
        drop(l);
        return -1;
    }
    if (off + (long long)n < x->size)
        return 0;
    if (stage_tmp_commit(&l->c, &l->tmp, name, &x->mtime, NULL) < 0)
        return -1;
    l->written[idx] = 1;
    return 0;
}

static FILE *open_copy(struct bcast_local *l, int dfd, const char *name, long long *size)
{
    char p[PATH_MAX];
    struct stat t;
    int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    FILE *f = fd < 0 || fstat(fd, &t) < 0 ? NULL : fdopen(fd, "rb");
    if (!f) {
        err_sys(l->c.e, EXIT_RUNTIME, "cannot read %s", stage_dst_path(&l->c, name, p));
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    *size = t.st_size;
    return f;
}

int bcast_local_sig(struct bcast_local *l, size_t idx, char **sig, size_t *len)
{
    char p[PATH_MAX];
    const char *name;
    long long size;
    int dfd = at(l, idx, &name);
    FILE *basis = dfd < 0 ? NULL : open_copy(l, dfd, name, &size);
    *sig = NULL;
    if (!basis)
        return -1;
    FILE *out = open_memstream(sig, len);
    rs_result r = out ? stage_rs_sig(basis, size, out) : RS_MEM_ERROR;
    if (out)
        fclose(out);
    fclose(basis);
    if (r == RS_DONE)
        return 0;
    free(*sig);
    *sig = NULL;
    return err_set(l->c.e, EXIT_RUNTIME, "cannot compute the signature of %s: librsync: %s",
                   stage_dst_path(&l->c, name, p), rs_strerror(r));
}

int bcast_local_patch(struct bcast_local *l, size_t idx, const char *delta, size_t len)
{
    const struct tree_entry *x = &l->m->v[idx];
    const char *name;
    long long size;
    struct stage_tmp tmp = {.fd = -1};
    int dfd = at(l, idx, &name);
    FILE *basis = dfd < 0 ? NULL : open_copy(l, dfd, name, &size);
    if (!basis)
        return -1;
    FILE *df = fmemopen((void *)delta, len, "rb");
    int rc = -1;
    if (!df)
        err_sys(l->c.e, EXIT_RUNTIME, "cannot read a delta of %zu bytes", len);
    else if (stage_tmp_create(&l->c, dfd, name, x->mode, &tmp) == 0 &&
             stage_patch_into(&l->c, basis, df, &tmp, name) == 0)
        rc = stage_tmp_commit(&l->c, &tmp, name, &x->mtime, NULL);
    if (rc < 0 && tmp.fd >= 0)
        stage_tmp_abort(&tmp);
    if (df)
        fclose(df);
    fclose(basis);
    if (rc == 0)
        l->written[idx] = 1;
    return rc;
}

/* Where the stager's fix-ups look: the top and bin/. */
static int fixup_place(const char *rel)
{
    const char *slash = strchr(rel, '/');
    return !slash || (slash - rel == 3 && memcmp(rel, "bin", 3) == 0 && !strchr(slash + 1, '/'));
}

/* The files that name the venv's place (pyvenv.cfg, bin/), rewritten
 * for this copy's own: those received now, and those whose state does
 * not vouch for them, as the stager decides for its target. */
static int fixups(struct bcast_local *l)
{
    char p[PATH_MAX];
    for (size_t i = 0; i < l->m->n; i++) {
        const struct tree_entry *x = &l->m->v[i];
        const char *name;
        if (x->type != TREE_FILE || !fixup_place(x->rel))
            continue;
        int dfd = at(l, i, &name);
        struct stat s = entry_stat(x), t;
        if (dfd < 0)
            return -1;
        if (!l->written[i] && fstatat(dfd, name, &t, AT_SYMLINK_NOFOLLOW) < 0)
            return err_sys(l->c.e, EXIT_RUNTIME, "cannot stat %s", stage_dst_path(&l->c, name, p));
        if (stage_fixup_file(&l->c, dfd, dfd, name, &s, l->written[i] ? NULL : &t) < 0)
            return -1;
    }
    return 0;
}

static int dir_attrs(struct bcast_local *l)
{
    for (size_t i = l->m->n; i-- > 0;) {
        const struct tree_entry *x = &l->m->v[i];
        struct stat s = entry_stat(x);
        int fd = x->type == TREE_DIR ? open_dir(l, x->rel, strlen(x->rel)) : 0;
        if (fd < 0 || (x->type == TREE_DIR && stage_dir_attrs(&l->c, fd, &s) < 0))
            return -1;
    }
    struct stat top = {.st_mode = S_IFDIR | l->m->root_mode, .st_mtim = l->m->root_mtime};
    int fd = open_dir(l, "", 0);
    return fd < 0 ? -1 : stage_dir_attrs(&l->c, fd, &top);
}

int bcast_local_finish(struct bcast_local *l)
{
    drop(l);
    if (fixups(l) < 0 || manifest_save(&l->c, l->root) < 0 || dir_attrs(l) < 0)
        return -1;
    l->finished = 1;
    return 0;
}
