/* fs_image_stamp.c: the prep step's word that the image is current (what it
 * was built from, the image's identity), so a run checks it with one stat. */
#include "fs/fs_image.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/atomic_write.h"

#define STAMP_MAX 8192
/* 3: the recipe line came in (an older stamp makes the run walk once). */
#define STAMP_HEAD "mpi4py-import image stamp 3\n"

void image_ident_of(const struct stat *s, struct image_ident *id)
{
    *id = (struct image_ident){
        .size = (long long)s->st_size,
        .ino = (unsigned long long)s->st_ino,
        .dev = (unsigned long long)s->st_dev,
        .mtime_ns = (long long)s->st_mtim.tv_sec * 1000000000LL + s->st_mtim.tv_nsec,
        .ctime_ns = (long long)s->st_ctim.tv_sec * 1000000000LL + s->st_ctim.tv_nsec,
    };
}

/* Not the device, nor the ctime: each client of a shared filesystem
 * numbers its mount's device its own way (MooseFS: one per node), and a
 * rename sets the ctime a moment after the builder saw the file. */
int image_ident_same(const struct image_ident *a, const struct image_ident *b)
{
    return a->size == b->size && a->ino == b->ino && a->mtime_ns == b->mtime_ns;
}

/* FNV-1a: names the manifest in the stamp; no adversary chooses it (the
 * stamp's directory is ours alone), so it need not be cryptographic. */
static uint64_t fnv1a(const char *p, size_t n)
{
    uint64_t h = 14695981039346656037ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 1099511628211ULL;
    return h;
}

/* What image_ident_same compares, and nothing else. */
static int image_line(char *buf, size_t n, const struct image_ident *id)
{
    return snprintf(buf, n, "image %lld %llu %lld\n", id->size, id->ino, id->mtime_ns);
}

/* The image BASE in DFD now: a regular file, never through a link. */
static int ident_at(int dfd, const char *base, struct image_ident *id)
{
    struct stat s;
    if (fstatat(dfd, base, &s, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(s.st_mode))
        return -1;
    image_ident_of(&s, id);
    return 0;
}

/* The stamp's line for HOW. */
static void recipe_line(char *buf, size_t n, const struct image_recipe *how)
{
    snprintf(buf, n, "recipe bytecode %d compression %s\n", how->bytecode, image_compressions[how->compression]);
}

int image_stamp_write(int dfd, const char *base, const char *shown, const char *venv,
                      const struct image_recipe *how, const char *manifest, size_t len,
                      const struct image_ident *built, struct err *e)
{
    char name[512], text[STAMP_MAX], line[160], recipe[160];
    struct image_ident id;
    if (built)
        id = *built;
    else if (ident_at(dfd, base, &id) < 0)
        return err_sys(e, EXIT_RUNTIME, "the image %s is gone before its stamp was written", shown);
    image_line(line, sizeof line, &id);
    recipe_line(recipe, sizeof recipe, how);
    int n = snprintf(text, sizeof text, STAMP_HEAD "venv %s\n%smanifest %zu %016" PRIx64 "\n%s", venv, recipe, len,
                     fnv1a(manifest, len), line);
    if (n < 0 || (size_t)n >= sizeof text)
        return err_set(e, EXIT_RUNTIME, "the image stamp of %s: the venv's path is too long", shown);
    snprintf(name, sizeof name, "%s.stamp", base);
    char shown_stamp[4200];
    snprintf(shown_stamp, sizeof shown_stamp, "%s.stamp", shown);
    return atomic_write_at(dfd, name, shown_stamp, text, (size_t)n, 0644, e);
}

/* NAME in DFD as a stamp of ours: a regular file (no link followed, no
 * FIFO waited for), our user's, writable by no one else. */
static ssize_t read_stamp(int dfd, const char *name, char *buf, size_t n)
{
    struct stat s;
    int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t got = -1;
    if (fstat(fd, &s) == 0 && S_ISREG(s.st_mode) && s.st_uid == geteuid() && !(s.st_mode & 022) &&
        s.st_size < (off_t)n)
        got = read(fd, buf, n - 1);
    close(fd);
    if (got >= 0)
        buf[got] = '\0';
    return got;
}

/* LINE (ending in a newline) is one of TEXT's lines. */
static int has_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = text; p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (strncmp(p, line, n) == 0)
            return 1;
    return 0;
}

int image_stamp_current(int dfd, const char *base, const char *venv, const struct image_recipe *how,
                        struct image_ident *id, long long *bytes_read)
{
    char name[512], text[STAMP_MAX], want[STAMP_MAX];
    snprintf(name, sizeof name, "%s.stamp", base);
    ssize_t got = read_stamp(dfd, name, text, sizeof text);
    if (got < 0)
        return 0;
    *bytes_read += got;
    if (!has_line(text, STAMP_HEAD) || ident_at(dfd, base, id) < 0)
        return 0;
    int n = snprintf(want, sizeof want, "venv %s\n", venv);
    if (n < 0 || (size_t)n >= sizeof want || !has_line(text, want))
        return 0;
    recipe_line(want, sizeof want, how);
    if (!has_line(text, want))
        return 0;
    image_line(want, sizeof want, id);
    return has_line(text, want);
}

/* NAME in DFD read whole as a file of ours (as read_stamp judges it):
 * a new buffer, *LEN its length; NULL when it is not one. */
static char *read_ours(int dfd, const char *name, size_t *len)
{
    struct stat s;
    int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    char *buf = NULL;
    if (fstat(fd, &s) == 0 && S_ISREG(s.st_mode) && s.st_uid == geteuid() && !(s.st_mode & 022))
        buf = malloc((size_t)s.st_size + 1);
    size_t got = 0;
    while (buf && got < (size_t)s.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)s.st_size - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    if (buf && got != (size_t)s.st_size) {
        free(buf);
        return NULL;
    }
    *len = got;
    return buf;
}

int image_stamp_manifest(int dfd, const char *base, const char *venv, const struct image_recipe *how,
                         struct image_ident *id, char **manifest, size_t *len, struct image_io *io)
{
    char name[512], text[STAMP_MAX], want[160];
    *manifest = NULL;
    io->files_opened++;
    if (!image_stamp_current(dfd, base, venv, how, id, &io->bytes_read))
        return 0;
    snprintf(name, sizeof name, "%s.stamp", base);
    if (read_stamp(dfd, name, text, sizeof text) < 0)
        return 0;
    snprintf(name, sizeof name, "%s.manifest", base);
    io->files_opened++;
    char *m = read_ours(dfd, name, len);
    if (!m)
        return 0;
    io->bytes_read += (long long)*len;
    /* The manifest the stamp names, not one written since by a build
     * that has not stamped its image. */
    snprintf(want, sizeof want, "manifest %zu %016" PRIx64 "\n", *len, fnv1a(m, *len));
    if (!has_line(text, want)) {
        free(m);
        return 0;
    }
    *manifest = m;
    return 1;
}
