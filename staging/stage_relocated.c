/* stage_relocated.c: the target's record of the files staged rewritten
 * (fix-ups), kept in a small text file replaced atomically. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../staging/stage_ctx.h"

#define MANIFEST_MAGIC "mpi4py-import stage manifest 1"

static int header_is(const char *line, const char *key, const char *want)
{
    size_t k = strlen(key);
    return strncmp(line, key, k) == 0 && strcmp(line + k, want) == 0;
}

static void append(struct manifest *m, const struct manifest_entry *x)
{
    if (m->n == m->cap)
        m->v = realloc(m->v, (m->cap = m->cap ? m->cap * 2 : 16) * sizeof *m->v);
    m->v[m->n++] = *x;
}

static int parse_entry(struct manifest *m, const char *line)
{
    struct manifest_entry x = {0};
    int pos = -1;
    sscanf(line, "%lld %ld %ld %lld %ld %ld %llu %n", &x.src_size, &x.src_mtime.tv_sec, &x.src_mtime.tv_nsec,
           &x.dst_size, &x.dst_mtime.tv_sec, &x.dst_mtime.tv_nsec, &x.dst_ino, &pos);
    if (pos < 0 || !line[pos])
        return 0;
    x.rel = strdup(line + pos);
    append(m, &x);
    return 1;
}

/* A manifest of another source or target (the tree was moved) or one
 * unreadable is as good as none: every candidate is examined again. */
void manifest_load(struct stage_ctx *c, int root_fd)
{
    struct manifest *m = &c->man;
    m->changed = 1;
    int fd = openat(root_fd, STAGE_MANIFEST_NAME, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    FILE *f = fd < 0 ? NULL : fdopen(fd, "r");
    if (!f) {
        if (fd >= 0)
            close(fd);
        return;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int n = 0, ok = 1;
    while (ok && (len = getline(&line, &cap, f)) > 0) {
        if (line[len - 1] == '\n')
            line[len - 1] = '\0';
        n++;
        ok = n == 1   ? strcmp(line, MANIFEST_MAGIC) == 0
             : n == 2 ? header_is(line, "source ", c->o->source)
             : n == 3 ? header_is(line, "target ", c->target)
                      : parse_entry(m, line);
    }
    free(line);
    fclose(f);
    if (ok && n >= 3) {
        m->valid = 1;
        m->changed = 0;
        return;
    }
    manifest_free(m);
    m->changed = 1;
}

struct manifest_entry *manifest_find(struct stage_ctx *c, const char *rel)
{
    for (size_t i = 0; i < c->man.n; i++)
        if (strcmp(c->man.v[i].rel, rel) == 0)
            return &c->man.v[i];
    return NULL;
}

void manifest_record(struct stage_ctx *c, const char *rel, const struct stat *s, const struct stat *t)
{
    struct manifest_entry *x = manifest_find(c, rel);
    if (!x) {
        append(&c->man, &(struct manifest_entry){.rel = strdup(rel)});
        x = &c->man.v[c->man.n - 1];
    }
    x->src_size = s->st_size;
    x->src_mtime = s->st_mtim;
    x->dst_size = t->st_size;
    x->dst_mtime = t->st_mtim;
    x->dst_ino = (unsigned long long)t->st_ino;
    x->seen = 1;
    c->man.changed = 1;
}

static int write_entries(const struct stage_ctx *c, FILE *f)
{
    fprintf(f, "%s\nsource %s\ntarget %s\n", MANIFEST_MAGIC, c->o->source, c->target);
    for (size_t i = 0; i < c->man.n; i++) {
        const struct manifest_entry *x = &c->man.v[i];
        if (x->seen)
            fprintf(f, "%lld %ld %ld %lld %ld %ld %llu %s\n", x->src_size, (long)x->src_mtime.tv_sec,
                    x->src_mtime.tv_nsec, x->dst_size, (long)x->dst_mtime.tv_sec, x->dst_mtime.tv_nsec, x->dst_ino,
                    x->rel);
    }
    return fflush(f) == 0 && !ferror(f) ? 0 : -1;
}

int manifest_save(struct stage_ctx *c, int root_fd)
{
    int stale = c->man.changed;
    for (size_t i = 0; i < c->man.n; i++)
        stale |= !c->man.v[i].seen;
    if (!stale)
        return 0;
    char p[PATH_MAX];
    struct stage_tmp t;
    if (stage_tmp_create(c, root_fd, STAGE_MANIFEST_NAME, 0644, &t) < 0)
        return -1;
    int fd = dup(t.fd);
    FILE *f = fd < 0 ? NULL : fdopen(fd, "w");
    int rc = f ? write_entries(c, f) : -1;
    int saved = errno;
    if (f)
        fclose(f);
    else if (fd >= 0)
        close(fd);
    errno = saved;
    if (rc < 0) {
        err_sys(c->e, EXIT_RUNTIME, "cannot write %s", stage_dst_path(c, STAGE_MANIFEST_NAME, p));
        stage_tmp_abort(&t);
        return -1;
    }
    return stage_tmp_commit(c, &t, STAGE_MANIFEST_NAME, &(struct timespec){.tv_nsec = UTIME_NOW}, NULL);
}

void manifest_free(struct manifest *m)
{
    for (size_t i = 0; i < m->n; i++)
        free(m->v[i].rel);
    free(m->v);
    memset(m, 0, sizeof *m);
}
