/* tree_manifest.c: the source's entries as rank 0 walks them once, and
 * their packing into one buffer that every leader receives and checks. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../staging/bcast_tree.h"
#include "../staging/stage_ctx.h"

#define MANIFEST_MAGIC "bcm1"

static struct tree_entry *append(struct tree_manifest *m, const char *rel, char type, const struct stat *s)
{
    if (m->n == m->cap)
        m->v = realloc(m->v, (m->cap = m->cap ? m->cap * 2 : 256) * sizeof *m->v);
    struct tree_entry *x = &m->v[m->n++];
    *x = (struct tree_entry){.rel = strdup(rel), .type = type, .mode = s->st_mode & 07777, .mtime = s->st_mtim,
                              .size = type == TREE_FILE ? (long long)s->st_size : 0};
    return x;
}

static int walk_dir(struct tree_manifest *m, const struct crawl_dir *d, const char *rel, struct err *e);

/* Entry I of the directory D (REL below the top), as the crawl read it. */
static int walk_entry(struct tree_manifest *m, const struct crawl_dir *d, size_t i, const char *rel,
                      struct err *e)
{
    char path[PATH_MAX];
    const struct stat *s = &d->st[i];
    if ((size_t)snprintf(path, sizeof path, "%s%s%s", rel, rel[0] ? "/" : "", d->names[i]) >= sizeof path)
        return err_set(e, EXIT_RUNTIME, "path too long: %s/%s/%s", m->source, rel, d->names[i]);
    errno = d->err[i];
    if (d->err[i])
        return err_sys(e, EXIT_RUNTIME, "cannot stat %s/%s", m->source, path);
    if (S_ISREG(s->st_mode)) {
        append(m, path, TREE_FILE, s);
    } else if (S_ISLNK(s->st_mode)) {
        errno = d->link_err[i];
        if (!d->link[i])
            return err_sys(e, EXIT_RUNTIME, "cannot read symlink %s/%s", m->source, path);
        append(m, path, TREE_LINK, s)->link = strdup(d->link[i]);
    } else if (S_ISDIR(s->st_mode)) {
        append(m, path, TREE_DIR, s);
        errno = d->sub_err[i];
        if (!d->sub[i])
            return err_sys(e, EXIT_RUNTIME, "cannot open directory %s/%s", m->source, path);
        return walk_dir(m, d->sub[i], path, e);
    }
    /* Devices, fifos and sockets are not staged, as by the stager. */
    return 0;
}

static int walk_dir(struct tree_manifest *m, const struct crawl_dir *d, const char *rel, struct err *e)
{
    errno = d->list_err;
    if (d->list_err)
        return err_sys(e, EXIT_RUNTIME, "cannot read directory %s/%s", m->source, rel);
    int rc = 0;
    for (size_t i = 0; i < d->n && rc == 0; i++)
        if (d->err[i] >= 0)
            rc = walk_entry(m, d, i, rel, e);
    return rc;
}

int tree_manifest_walk(const char *source, struct tree_manifest *m, struct err *e)
{
    struct stat s;
    *m = (struct tree_manifest){.source = strdup(source)};
    int root = stage_open_source(source, &s, e);
    if (root < 0) {
        tree_manifest_free(m);
        return -1;
    }
    m->root_mode = s.st_mode & 07777;
    m->root_mtime = s.st_mtim;
    m->nprefixes = stage_fixup_prefixes(source, root, m->prefixes);
    struct crawl_dir *tree = crawl_tree(root);
    close(root);
    int rc = walk_dir(m, tree, "", e);
    crawl_free(tree);
    if (rc < 0)
        tree_manifest_free(m);
    return rc;
}

void tree_manifest_free(struct tree_manifest *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free(m->v[i].rel);
        free(m->v[i].link);
    }
    for (int i = 0; i < m->nprefixes; i++)
        free(m->prefixes[i]);
    free(m->v);
    free(m->source);
    memset(m, 0, sizeof *m);
}

/* Packing: fixed-width fields in the host's byte order (the ranks of one
 * job share an architecture), strings as a length and their bytes. */
struct wbuf {
    char *p;
    size_t n, cap;
};

static void put(struct wbuf *b, const void *data, size_t n)
{
    if (b->n + n > b->cap) {
        while (b->n + n > b->cap)
            b->cap = b->cap ? b->cap * 2 : 65536;
        b->p = realloc(b->p, b->cap);
    }
    memcpy(b->p + b->n, data, n);
    b->n += n;
}

static void put_i64(struct wbuf *b, int64_t v)
{
    put(b, &v, sizeof v);
}

static void put_str(struct wbuf *b, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    put_i64(b, (int64_t)n);
    put(b, s ? s : "", n);
}

static void put_time(struct wbuf *b, const struct timespec *t)
{
    put_i64(b, (int64_t)t->tv_sec);
    put_i64(b, (int64_t)t->tv_nsec);
}

char *tree_manifest_pack(const struct tree_manifest *m, size_t *len)
{
    struct wbuf b = {0};
    put(&b, MANIFEST_MAGIC, 4);
    put_str(&b, m->source);
    put_i64(&b, m->root_mode);
    put_time(&b, &m->root_mtime);
    put_i64(&b, m->nprefixes);
    for (int i = 0; i < m->nprefixes; i++)
        put_str(&b, m->prefixes[i]);
    put_i64(&b, (int64_t)m->n);
    for (size_t i = 0; i < m->n; i++) {
        const struct tree_entry *x = &m->v[i];
        put_i64(&b, x->type);
        put_i64(&b, x->mode);
        put_time(&b, &x->mtime);
        put_i64(&b, x->size);
        put_str(&b, x->rel);
        put_str(&b, x->type == TREE_LINK ? x->link : NULL);
    }
    *len = b.n;
    return b.p;
}

struct rbuf {
    const char *p;
    size_t left;
    int bad;
};

static int64_t get_i64(struct rbuf *r)
{
    int64_t v = 0;
    if (r->left < sizeof v) {
        r->bad = 1;
        return 0;
    }
    memcpy(&v, r->p, sizeof v);
    r->p += sizeof v;
    r->left -= sizeof v;
    return v;
}

static char *get_str(struct rbuf *r)
{
    int64_t n = get_i64(r);
    if (r->bad || n < 0 || n >= PATH_MAX || (size_t)n > r->left || memchr(r->p, '\0', (size_t)n)) {
        r->bad = 1;
        return NULL;
    }
    char *s = strndup(r->p, (size_t)n);
    r->p += n;
    r->left -= (size_t)n;
    return s;
}

static void get_time(struct rbuf *r, struct timespec *t)
{
    t->tv_sec = (time_t)get_i64(r);
    t->tv_nsec = (long)get_i64(r);
    if (t->tv_nsec < 0 || t->tv_nsec >= 1000000000L)
        r->bad = 1;
}

/* A path a leader may write below its directory: relative, no empty,
 * "." or ".." component. */
static int safe_rel(const char *rel)
{
    if (!rel || !rel[0] || rel[0] == '/')
        return 0;
    for (const char *c = rel; c;) {
        const char *slash = strchr(c, '/');
        size_t n = slash ? (size_t)(slash - c) : strlen(c);
        if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
            return 0;
        c = slash ? slash + 1 : NULL;
    }
    return 1;
}

static int get_entry(struct rbuf *r, struct tree_entry *x)
{
    int64_t type = get_i64(r), mode = get_i64(r);
    get_time(r, &x->mtime);
    x->size = get_i64(r);
    x->rel = get_str(r);
    char *link = get_str(r);
    x->type = (char)type;
    x->mode = (mode_t)mode & 07777;
    if (type == TREE_LINK)
        x->link = link;
    else
        free(link);
    return !r->bad && (type == TREE_DIR || type == TREE_FILE || (type == TREE_LINK && link && link[0])) &&
           x->size >= 0 && safe_rel(x->rel);
}

int tree_manifest_unpack(const char *buf, size_t len, struct tree_manifest *m, struct err *e)
{
    struct rbuf r = {buf, len, 0};
    *m = (struct tree_manifest){0};
    if (len < 4 || memcmp(buf, MANIFEST_MAGIC, 4) != 0)
        return err_set(e, EXIT_RUNTIME, "the broadcast manifest is damaged (%zu bytes, no header)", len);
    r.p += 4;
    r.left -= 4;
    m->source = get_str(&r);
    m->root_mode = (mode_t)get_i64(&r) & 07777;
    get_time(&r, &m->root_mtime);
    int64_t np = get_i64(&r);
    for (int64_t i = 0; !r.bad && i < np && i < 2; i++)
        m->prefixes[m->nprefixes++] = get_str(&r);
    int64_t n = get_i64(&r);
    r.bad |= !m->source || np < 0 || np > 2 || n < 0 || (uint64_t)n > r.left;
    if (!r.bad)
        m->v = calloc((size_t)n ? (size_t)n : 1, sizeof *m->v);
    for (int64_t i = 0; !r.bad && i < n; i++) {
        m->n++;
        r.bad |= !get_entry(&r, &m->v[i]);
    }
    if (r.bad || r.left != 0) {
        size_t at = len - r.left;
        tree_manifest_free(m);
        return err_set(e, EXIT_RUNTIME, "the broadcast manifest is damaged at byte %zu of %zu", at, len);
    }
    m->cap = m->n;
    return 0;
}
