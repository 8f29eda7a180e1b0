/* fs_image_local.c: one node's own copy of the image (deliver = "bcast"), in
 * a directory of ours beside the mount point: checked, written, put in place. */
#include "fs/fs_image.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "base/atomic_write.h"
#include "../staging/stage.h"

#define LOCAL_NAME "venv.sqfs"
#define FROM_NAME "venv.sqfs.from"
#define TMP_PREFIX ".venv.sqfs.tmp-"

char *image_local_path(const char *point)
{
    char *path = NULL;
    if (asprintf(&path, "%s-image/" LOCAL_NAME, point) < 0)
        return NULL;
    return path;
}

int image_local_open(struct image_local *l, const char *point, struct err *e)
{
    *l = (struct image_local){.dfd = -1, .fd = -1};
    if (asprintf(&l->dir, "%s-image", point) < 0) {
        l->dir = NULL;
        return err_set(e, EXIT_RUNTIME, "out of memory");
    }
    /* Ours alone, as a stage target is: a file or link a neighbour
     * planted at its name is refused, never written through. */
    l->dfd = stage_trusted_dir(l->dir, e);
    if (l->dfd < 0)
        return err_wrap(e, "the node's image directory: ");
    char *canon = fs_fd_path(l->dfd);
    if (!canon || asprintf(&l->path, "%s/" LOCAL_NAME, canon) < 0)
        l->path = NULL;
    free(canon);
    if (!l->path)
        return err_sys(e, EXIT_RUNTIME, "cannot tell where %s is", l->dir);
    /* Holding the run's lock, a temporary file here is a killed run's. */
    fs_sweep_prefixed(l->dfd, TMP_PREFIX);
    return 0;
}

static void ident_text(char *buf, size_t n, const struct image_ident *src, const struct image_ident *local)
{
    snprintf(buf, n, "from %lld %llu %llu %lld %lld\nlocal %lld %llu %llu %lld %lld\n", src->size, src->ino,
             src->dev, src->mtime_ns, src->ctime_ns, local->size, local->ino, local->dev, local->mtime_ns,
             local->ctime_ns);
}

int image_local_holds(const struct image_local *l, const struct image_ident *src)
{
    char have[512], want[512];
    struct stat s;
    struct image_ident local;
    if (fstatat(l->dfd, LOCAL_NAME, &s, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(s.st_mode) || s.st_uid != geteuid())
        return 0;
    image_ident_of(&s, &local);
    int fd = openat(l->dfd, FROM_NAME, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = fstat(fd, &s) == 0 && S_ISREG(s.st_mode) && s.st_uid == geteuid() ? read(fd, have, sizeof have - 1)
                                                                                    : -1;
    close(fd);
    if (n < 0)
        return 0;
    have[n] = '\0';
    ident_text(want, sizeof want, src, &local);
    return strcmp(have, want) == 0;
}

int image_local_begin(struct image_local *l, struct err *e)
{
    l->fd = create_unique_at(l->dfd, TMP_PREFIX, l->tmp, sizeof l->tmp, 0, 0600);
    if (l->fd < 0)
        return err_sys(e, EXIT_RUNTIME, "cannot create a file in %s", l->dir);
    return 0;
}

/* Node memory (tmpfs) has nothing to sync to; a disk does. */
static int sync_unless_memory(int fd)
{
    struct statfs sf;
    if (fstatfs(fd, &sf) == 0 && (sf.f_type == TMPFS_MAGIC || sf.f_type == RAMFS_MAGIC))
        return 0;
    return fsync(fd);
}

int image_local_commit(struct image_local *l, const struct image_ident *src, struct err *e)
{
    char text[512];
    struct stat s;
    if (fstat(l->fd, &s) < 0 || s.st_size != src->size || sync_unless_memory(l->fd) < 0)
        return err_sys(e, EXIT_RUNTIME, "cannot write %s/%s", l->dir, l->tmp);
    /* The old word goes first: a run killed before the new one is
     * written finds no word and sends the image again. */
    if (unlinkat(l->dfd, FROM_NAME, 0) < 0 && errno != ENOENT)
        return err_sys(e, EXIT_RUNTIME, "cannot remove %s/" FROM_NAME, l->dir);
    if (renameat(l->dfd, l->tmp, l->dfd, LOCAL_NAME) < 0)
        return err_sys(e, EXIT_RUNTIME, "cannot rename %s/%s to " LOCAL_NAME, l->dir, l->tmp);
    l->tmp[0] = '\0';
    struct image_ident local;
    image_ident_of(&s, &local);
    if (fstatat(l->dfd, LOCAL_NAME, &s, AT_SYMLINK_NOFOLLOW) == 0)
        image_ident_of(&s, &local);   /* the rename changed its ctime */
    ident_text(text, sizeof text, src, &local);
    char shown[4200];
    snprintf(shown, sizeof shown, "%s/" FROM_NAME, l->dir);
    return atomic_write_at(l->dfd, FROM_NAME, shown, text, strlen(text), 0600, e);
}

void image_local_close(struct image_local *l)
{
    if (l->fd >= 0)
        close(l->fd);
    /* Never half an image: what was not put in place goes. */
    if (l->tmp[0] && l->dfd >= 0)
        unlinkat(l->dfd, l->tmp, 0);
    if (l->dfd >= 0)
        close(l->dfd);
    free(l->dir);
    free(l->path);
    *l = (struct image_local){.dfd = -1, .fd = -1};
}
