/* fs_bcast_unpack.c: a node's first copy made from the packed image: the image
 * received into a temporary file, unsquashfs into a marked temporary directory, renamed into place. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs/fs_bcast.h"
#include "fs/fs_image.h"
#include "base/atomic_write.h"
#include "base/remove_tree.h"
#include "proc/tool.h"
#include "../staging/stage.h"

/* Long enough for a venv's extraction on a loaded node. */
#define UNSQUASH_TIMEOUT 1800

int bcast_copy_missing(const char *dir)
{
    struct stat s;
    /* Anything at the name (a copy, a killed run's half, a planted
     * link) goes the entries' way, which judges it. */
    return lstat(dir, &s) < 0 && errno == ENOENT;
}

/* The temporary names beside the copy BASE: a killed run's are swept
 * under the run's lock, which covers BASE. */
static void tmp_prefix(char *buf, size_t n, const char *base, const char *what)
{
    snprintf(buf, n, ".%s.%s-", base, what);
}

/* Every file and link of M in DIRFD given its mtime to the nanosecond
 * (squashfs keeps seconds) and, when root, to us (unsquashfs restores
 * the image's owners): the next survey then finds it up to date. */
static int settle(int dirfd, const struct tree_manifest *m, const char *shown, struct err *e)
{
    /* The image leaves out __pycache__ directories, which the copy keeps
     * (empty, as the entries' path makes them): made first, in walk
     * order, a parent before what it holds. */
    for (size_t i = 0; i < m->n; i++) {
        const struct tree_entry *x = &m->v[i];
        if (x->type == TREE_DIR && mkdirat(dirfd, x->rel, x->mode) < 0 && errno != EEXIST)
            return err_sys(e, EXIT_RUNTIME, "cannot make %s/%s", shown, x->rel);
    }
    for (size_t i = 0; i < m->n; i++) {
        const struct tree_entry *x = &m->v[i];
        struct timespec ts[2] = {x->mtime, x->mtime};
        if (x->type == TREE_DIR)
            continue;
        if (geteuid() == 0 && fchownat(dirfd, x->rel, 0, 0, AT_SYMLINK_NOFOLLOW) < 0)
            return err_sys(e, EXIT_RUNTIME, "cannot own %s/%s", shown, x->rel);
        if (utimensat(dirfd, x->rel, ts, AT_SYMLINK_NOFOLLOW) < 0)
            return err_sys(e, EXIT_RUNTIME, "cannot set the mtime of %s/%s", shown, x->rel);
    }
    /* The directories last, deepest first: nothing writes in them after. */
    for (size_t i = m->n; i-- > 0;) {
        const struct tree_entry *x = &m->v[i];
        struct timespec ts[2] = {x->mtime, x->mtime};
        if (x->type == TREE_DIR && utimensat(dirfd, x->rel, ts, AT_SYMLINK_NOFOLLOW) < 0)
            return err_sys(e, EXIT_RUNTIME, "cannot set the mtime of %s/%s", shown, x->rel);
    }
    return 0;
}

/* The image at IMG (a path in a directory of ours) unpacked into the new
 * directory TMP in DFD, marked as the stager's first. */
static int unpack(int dfd, const char *canon, const char *img, const char *tmp, const struct tree_manifest *m,
                  struct err *e)
{
    char dest[8300], shown[8300];
    snprintf(dest, sizeof dest, "%s/%s", canon, tmp);
    int fd = openat(dfd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return err_sys(e, EXIT_RUNTIME, "cannot open %s", dest);
    int rc = stage_mark(fd) < 0 ? err_sys(e, EXIT_RUNTIME, "cannot mark %s", dest) : 0;
    /* -f: into the directory made (exclusively) for it. */
    char *argv[] = {"unsquashfs", "-f", "-no-xattrs", "-quiet", "-no-progress", "-d", dest, (char *)img, NULL};
    snprintf(shown, sizeof shown, "unpacking the image into %s", dest);
    if (rc == 0)
        rc = tool_run(argv, UNSQUASH_TIMEOUT, shown, 0, e);
    if (rc == 0)
        rc = settle(fd, m, dest, e);
    close(fd);
    return rc;
}

/* The directory TMP, unpacked and settled, renamed to BASE: never over
 * something there (RENAME_NOREPLACE), so a copy is whole or absent. */
static int put_in_place(int dfd, const char *tmp, const char *base, const char *canon, struct err *e)
{
    if (renameat2(dfd, tmp, dfd, base, RENAME_NOREPLACE) < 0)
        return err_sys(e, EXIT_RUNTIME, "cannot rename %s/%s to %s", canon, tmp, base);
    return 0;
}

/* A killed run's unpacked directories (PREFIX*) removed, never followed:
 * the caller holds the run's lock. */
static void sweep_dirs(int dfd, const char *canon, const char *prefix)
{
    struct err ignored = {0};
    char shown[8300];
    DIR *d = fdopendir(dup(dfd));
    struct dirent *de;
    while (d && (de = readdir(d))) {
        if (strncmp(de->d_name, prefix, strlen(prefix)) != 0)
            continue;
        snprintf(shown, sizeof shown, "%s/%s", canon, de->d_name);
        remove_tree_at(dfd, de->d_name, shown, &ignored);
    }
    if (d)
        closedir(d);
}

int bcast_unpack(struct bcast_unpack *u, const char *dir, struct err *e)
{
    char prefix[NAME_MAX + 1];
    *u = (struct bcast_unpack){.fd = -1};
    if (fs_place_open(dir, &u->place, e) < 0)
        return -1;
    u->canon = fs_fd_path(u->place.dfd);
    if (!u->canon)
        return err_sys(e, EXIT_RUNTIME, "cannot tell where %s is", u->place.parent);
    /* Holding the run's lock, a temporary of this copy's is a killed run's. */
    tmp_prefix(prefix, sizeof prefix, u->place.base, "unpack");
    sweep_dirs(u->place.dfd, u->canon, prefix);
    tmp_prefix(prefix, sizeof prefix, u->place.base, "sqfs");
    fs_sweep_prefixed(u->place.dfd, prefix);
    u->fd = create_unique_at(u->place.dfd, prefix, u->img, sizeof u->img, 0, 0600);
    if (u->fd < 0)
        return err_sys(e, EXIT_RUNTIME, "cannot create a file in %s", u->canon);
    snprintf(u->shown, sizeof u->shown, "%s/%s", u->canon, u->img);
    return 0;
}

int bcast_unpack_finish(struct bcast_unpack *u, const struct tree_manifest *m, struct err *e)
{
    char prefix[NAME_MAX + 1], img[8300];
    close(u->fd);
    u->fd = -1;
    tmp_prefix(prefix, sizeof prefix, u->place.base, "unpack");
    if (create_unique_at(u->place.dfd, prefix, u->dir, sizeof u->dir, 1, 0700) < 0)
        return err_sys(e, EXIT_RUNTIME, "cannot create a directory in %s", u->canon);
    snprintf(img, sizeof img, "%s/%s", u->canon, u->img);
    int rc = unpack(u->place.dfd, u->canon, img, u->dir, m, e);
    /* The image is not needed once unpacked, nor after a failure. */
    unlinkat(u->place.dfd, u->img, 0);
    u->img[0] = '\0';
    if (rc == 0)
        rc = put_in_place(u->place.dfd, u->dir, u->place.base, u->canon, e);
    if (rc == 0)
        u->dir[0] = '\0';
    return rc;
}

void bcast_unpack_close(struct bcast_unpack *u)
{
    struct err ignored = {0};
    char shown[8300];
    if (u->fd >= 0)
        close(u->fd);
    /* Never half a copy: what was not put in place goes. */
    if (u->img[0])
        unlinkat(u->place.dfd, u->img, 0);
    if (u->dir[0]) {
        snprintf(shown, sizeof shown, "%s/%s", u->canon ? u->canon : "", u->dir);
        remove_tree_at(u->place.dfd, u->dir, shown, &ignored);
    }
    free(u->canon);
    fs_place_close(&u->place);
    *u = (struct bcast_unpack){.fd = -1};
}
