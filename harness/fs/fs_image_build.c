/* fs_image_build.c: the kind `image`'s squashfs file, built by mksquashfs
 * when the venv's manifest changed; a run trusts the prep step's stamp. */
#include "fs/fs_image.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/atomic_write.h"
#include "../staging/bcast_tree.h"
#include "base/clock.h"
#include "base/slurp.h"
#include "proc/reap.h"
#include "proc/spawn.h"
#include "proc/tool.h"
#include "../staging/stage.h"

/* IMAGE.bytecode: present when the image holds the venv's bytecode. */
static void marker_path(char *buf, size_t n, const char *image)
{
    snprintf(buf, n, "%s.bytecode", image);
}

/* Squashfs's compressor ids (the superblock's 16 bits at byte 20). */
enum { SQUASHFS_ZSTD = 6, SQUASHFS_LZ4 = 5 };
static const int compressor_ids[] = {[IMAGE_ZSTD] = SQUASHFS_ZSTD, [IMAGE_LZ4] = SQUASHFS_LZ4};
const char *const image_compressions[] = {[IMAGE_ZSTD] = "zstd", [IMAGE_LZ4] = "lz4", NULL};

/* The compressor IMAGE was made with, from its superblock; -1: not a
 * squashfs this build makes. */
static int superblock_compression(const char *image)
{
    unsigned char sb[22];
    int fd = open(image, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t got = pread(fd, sb, sizeof sb, 0);
    close(fd);
    if (got != (ssize_t)sizeof sb || memcmp(sb, "hsqs", 4) != 0)
        return -1;
    int id = sb[20] | sb[21] << 8;
    for (int c = 0; c < (int)(sizeof compressor_ids / sizeof *compressor_ids); c++)
        if (compressor_ids[c] == id)
            return c;
    return -1;
}

static int up_to_date(const char *image, const char *manifest_path, const char *want, size_t len,
                      const struct image_recipe *how)
{
    struct stat st;
    char marker[4200];
    marker_path(marker, sizeof marker, image);
    if ((lstat(marker, &st) == 0) != how->bytecode)
        return 0;
    if (superblock_compression(image) != how->compression)
        return 0;
    struct err ignored = {0};
    size_t have_len = 0;
    if (stat(image, &st) < 0 || !S_ISREG(st.st_mode))
        return 0;
    char *have = slurp("the image manifest", manifest_path, len + 1, &have_len, EXIT_RUNTIME, &ignored);
    int same = have && have_len == len && memcmp(have, want, len) == 0;
    free(have);
    return same;
}

static int squash(const char *venv, const char *tmp, const struct image_recipe *how, struct err *e)
{
    char *argv[20] = {"mksquashfs", (char *)venv, (char *)tmp, "-noappend", "-quiet", "-no-progress", "-no-xattrs"};
    int n = 7;
    /* zstd level 3: the build is quick and the image near what level 15
     * makes; lz4 -Xhc: the block a cold read decompresses costs half the
     * CPU, for an image 15% larger. */
    char *zstd[] = {"-comp", "zstd", "-Xcompression-level", "3", NULL}, *lz4[] = {"-comp", "lz4", "-Xhc", NULL};
    /* Without bytecode it stays out: it goes to PYTHONPYCACHEPREFIX on
     * node-local memory (README, "The image kind"). */
    char *no_bytecode[] = {"-wildcards", "-e", "... *.pyc", "-e", "... __pycache__", NULL};
    for (char **a = how->compression == IMAGE_LZ4 ? lz4 : zstd; *a; a++)
        argv[n++] = *a;
    for (char **a = no_bytecode; !how->bytecode && *a; a++)
        argv[n++] = *a;
    return tool_run(argv, 1800, "building the image", 0, e);
}

/* One build of an image at a time (cron may start two runs): a flock on
 * IMAGE.lock in the image's directory DFD (BASE.lock there), held until
 * the descriptor is closed, waited for at most TIMEOUT s like a stage's.
 * Holding it, every BASE.tmp.* there is a dead build's leftover. */
static int lock_and_sweep(int dfd, const char *image, const char *base, double timeout, FILE *log, struct err *e)
{
    char name[512], shown[4200], what[4300];
    double waited;
    snprintf(name, sizeof name, "%s.lock", base);
    snprintf(shown, sizeof shown, "%s.lock", image);
    snprintf(what, sizeof what, "another build of the image %s is running", image);
    struct lock_wait w = {.shown = shown, .what = what, .timeout = timeout, .log = log};
    int fd = stage_lock_open(dfd, name, shown, e);
    if (fd < 0 || stage_lock_wait(fd, &w, &waited, e) < 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    snprintf(name, sizeof name, "%s.tmp.", base);
    fs_sweep_prefixed(dfd, name);
    return fd;
}

/* The new file's identity from the file itself, before its rename: by
 * name, a shared filesystem's client may still show the image it
 * replaced for a while (MooseFS keeps the old inode in its trash). */
static int built_ident(const char *tmp, struct image_ident *id, struct err *e)
{
    struct stat s;
    int fd = open(tmp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &s) < 0) {
        if (fd >= 0)
            close(fd);
        return err_sys(e, EXIT_RUNTIME, "cannot open the new image %s", tmp);
    }
    close(fd);
    image_ident_of(&s, id);
    return 0;
}

static int build(const char *venv, const char *image, const char *want, size_t len,
                 const struct image_recipe *how, struct image_ident *id, struct err *e)
{
    char manifest_path[4200], tmp[4200], marker[4200];
    snprintf(manifest_path, sizeof manifest_path, "%s.manifest", image);
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", image, (long)getpid());
    marker_path(marker, sizeof marker, image);
    int rc = squash(venv, tmp, how, e);
    if (rc == 0)
        rc = built_ident(tmp, id, e);
    if (rc == 0 && rename(tmp, image) < 0)
        rc = err_sys(e, EXIT_RUNTIME, "cannot rename %s to %s", tmp, image);
    if (rc == 0 && how->bytecode)
        rc = atomic_write(marker, "", 0, 0644, e);
    if (rc == 0 && !how->bytecode && unlink(marker) < 0 && errno != ENOENT)
        rc = err_sys(e, EXIT_RUNTIME, "cannot remove %s", marker);
    /* The manifest last: an image without it is rebuilt next time. */
    if (rc == 0)
        rc = atomic_write(manifest_path, want, len, 0644, e);
    if (rc < 0)
        unlink(tmp);
    return rc;
}

/* What a walk costs the shared filesystem: each directory opened to be
 * listed, the old manifest read; a build, every file read by mksquashfs. */
static void walk_io(const struct tree_manifest *m, int built, size_t manifest_len, struct image_io *io)
{
    io->files_opened += 2;   /* the venv's top, the old manifest */
    io->bytes_read += (long long)manifest_len;
    for (size_t i = 0; i < m->n; i++) {
        io->files_opened += m->v[i].type == TREE_DIR || (built && m->v[i].type == TREE_FILE);
        io->bytes_read += built && m->v[i].type == TREE_FILE ? m->v[i].size : 0;
    }
}

/* Under the build lock: the venv walked and compared with the manifest
 * the image was built from, the image rebuilt if they differ; the prep
 * step then stamps it. */
static int walk_and_build(const char *venv, const char *image, int dfd, const char *base, int prep,
                          const struct image_recipe *how, struct image_figures *fig, struct image_io *io,
                          struct err *e)
{
    char manifest_path[4200];
    struct tree_manifest m;
    snprintf(manifest_path, sizeof manifest_path, "%s.manifest", image);
    if (tree_manifest_walk(venv, &m, e) < 0)
        return -1;
    size_t len;
    char *want = tree_manifest_pack(&m, &len);
    fig->check = "walk";
    fig->entries_walked = (long long)m.n;
    fig->built = !up_to_date(image, manifest_path, want, len, how);
    walk_io(&m, fig->built, len, io);
    tree_manifest_free(&m);
    struct image_ident id;
    int rc = fig->built ? build(venv, image, want, len, how, &id, e) : 0;
    if (rc == 0 && prep)
        rc = image_stamp_write(dfd, base, image, venv, how, want, len, fig->built ? &id : NULL, e);
    free(want);
    return rc;
}

int image_dir_open(const char *image, const char **base, struct err *e)
{
    char parent[4200];
    snprintf(parent, sizeof parent, "%s", image);
    char *slash = strrchr(parent, '/');
    *base = slash ? image + (slash - parent) + 1 : image;
    if (slash == parent)
        parent[1] = '\0';
    else if (slash)
        *slash = '\0';
    else
        snprintf(parent, sizeof parent, ".");
    /* The image runs as the venv: its directory must be ours alone, or a
     * neighbour could swap the image, its manifest or its stamp under
     * the next run. */
    int dfd = stage_trusted_dir(parent, e);
    if (dfd < 0)
        return err_wrap(e, "the image's directory: ");
    return dfd;
}

int image_build(const char *venv, const char *image, double lock_timeout, FILE *log, int prep,
                const struct image_recipe *how, struct image_figures *fig, struct image_io *io, struct err *e)
{
    char parent[4200];
    const char *base;
    double t0 = now_seconds();
    int dfd = image_dir_open(image, &base, e);
    if (dfd < 0)
        return -1;
    snprintf(parent, sizeof parent, "%.*s", (int)(base - image > 1 ? base - image - 1 : base - image), image);
    int lock = lock_and_sweep(dfd, image, base, lock_timeout, log, e);
    if (lock < 0) {
        close(dfd);
        return err_wrap(e, "the image's directory %s: ", parent);
    }
    struct image_ident id;
    int rc = 0;
    /* A run trusts the prep step's stamp: one stat, no walk of the venv
     * on the shared filesystem. */
    io->files_opened += !prep;
    if (!prep && image_stamp_current(dfd, base, venv, how, &id, &io->bytes_read)) {
        fig->check = "stamp";
        fig->built = 0;
        fig->bytes = id.size;
    } else {
        rc = walk_and_build(venv, image, dfd, base, prep, how, fig, io, e);
    }
    close(lock);
    close(dfd);
    struct stat s;
    if (rc == 0 && !fig->bytes && stat(image, &s) == 0)
        fig->bytes = (long long)s.st_size;
    /* The recipe's: a build made it so, a walk found it so (up_to_date),
     * or the stamp says so. */
    fig->compression = rc == 0 ? image_compressions[how->compression] : NULL;
    fig->build_s = now_seconds() - t0;
    return rc;
}
