/* test_tree_manifest.c: the broadcast's manifest: what the walk keeps
 * and in which order, the packing round trip, and damaged buffers. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../staging/bcast_tree.h"
#include "../check.h"

static void write_file(const char *dir, const char *name, const char *text, mode_t mode)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, mode);
    CHECK(fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
    chmod(p, mode);
}

static void make_source(const char *src)
{
    char p[4096];
    mkdir(src, 0755);
    snprintf(p, sizeof p, "%s/a", src);
    mkdir(p, 0750);
    snprintf(p, sizeof p, "%s/bin", src);
    mkdir(p, 0755);
    write_file(src, "a/f", "hello", 0640);
    write_file(src, "a/f.pyc", "bytecode", 0644);
    write_file(src, ".mpi4py-import-stage.lock", "", 0644);
    write_file(src, "bin/activate", "VIRTUAL_ENV=\"/built/at\"\nexport VIRTUAL_ENV\n", 0644);
    write_file(src, "e", "", 0600);
    snprintf(p, sizeof p, "%s/l", src);
    CHECK(symlink("a/f", p) == 0);
}

static int same_entry(const struct tree_entry *a, const struct tree_entry *b)
{
    return strcmp(a->rel, b->rel) == 0 && a->type == b->type && a->mode == b->mode && a->size == b->size &&
           a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec &&
           (a->link ? b->link && strcmp(a->link, b->link) == 0 : !b->link);
}

static void check_walk(const struct tree_manifest *m, const char *src)
{
    static const char *const rels[] = {"a", "a/f", "bin", "bin/activate", "e", "l"};
    static const char types[] = {TREE_DIR, TREE_FILE, TREE_DIR, TREE_FILE, TREE_FILE, TREE_LINK};
    CHECK(m->n == 6);
    for (size_t i = 0; i < m->n && i < 6; i++)
        CHECK(strcmp(m->v[i].rel, rels[i]) == 0 && m->v[i].type == types[i]);
    CHECK(m->n >= 6 && m->v[0].mode == 0750 && m->v[1].mode == 0640 && m->v[1].size == 5);
    CHECK(m->n >= 6 && m->v[4].size == 0 && strcmp(m->v[5].link, "a/f") == 0);
    char *real = realpath(src, NULL);
    CHECK(m->nprefixes == 2 && strcmp(m->prefixes[0], real) == 0 && strcmp(m->prefixes[1], "/built/at") == 0);
    free(real);
}

static void check_round_trip(const struct tree_manifest *m)
{
    size_t len;
    char *buf = tree_manifest_pack(m, &len);
    struct tree_manifest back;
    struct err e = {0};
    CHECK(tree_manifest_unpack(buf, len, &back, &e) == 0 && back.n == m->n);
    for (size_t i = 0; i < back.n && i < m->n; i++)
        CHECK(same_entry(&back.v[i], &m->v[i]));
    CHECK(strcmp(back.source, m->source) == 0 && back.root_mode == m->root_mode && back.nprefixes == 2);
    tree_manifest_free(&back);

    /* Cut anywhere, it is refused (and nothing is read past the end). */
    int refused = 1;
    for (size_t cut = 0; cut < len; cut++) {
        struct err ce = {0};
        char *part = malloc(cut ? cut : 1);
        memcpy(part, buf, cut);
        refused &= tree_manifest_unpack(part, cut, &back, &ce) < 0 && ce.status == EXIT_RUNTIME;
        free(part);
    }
    CHECK(refused);
    free(buf);
}

/* A path that would leave the leader's directory is refused. */
static void check_bad_path(struct tree_manifest *m, const char *rel)
{
    char *saved = m->v[1].rel;
    m->v[1].rel = (char *)rel;
    size_t len;
    char *buf = tree_manifest_pack(m, &len);
    m->v[1].rel = saved;
    struct tree_manifest back;
    struct err e = {0};
    CHECK(tree_manifest_unpack(buf, len, &back, &e) < 0);
    CHECK_CONTAINS(e.msg, "the broadcast manifest is damaged at byte");
    free(buf);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    char src[4096];
    snprintf(src, sizeof src, "%s/src", argv[1]);
    make_source(src);

    struct tree_manifest m;
    struct err e = {0};
    CHECK(tree_manifest_walk(src, &m, &e) == 0);
    check_walk(&m, src);
    check_round_trip(&m);
    check_bad_path(&m, "../escape");
    check_bad_path(&m, "/etc/passwd");
    check_bad_path(&m, "a//f");
    check_bad_path(&m, "a/./f");
    check_bad_path(&m, "");
    tree_manifest_free(&m);

    struct err missing = {0};
    snprintf(src, sizeof src, "%s/no-such-venv", argv[1]);
    CHECK(tree_manifest_walk(src, &m, &missing) < 0 && missing.status == EXIT_SETUP);
    CHECK_CONTAINS(missing.msg, "does not exist");
    struct err bad = {0};
    CHECK(tree_manifest_unpack("nope", 4, &m, &bad) < 0);
    CHECK_CONTAINS(bad.msg, "no header");
    return check_summary();
}
