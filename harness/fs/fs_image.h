/* fs_image.h: the kind `image`'s pieces: the squashfs build (fs_image_build.c)
 * and running its tools (mksquashfs, squashfuse, fusermount). */
#ifndef FS_IMAGE_H
#define FS_IMAGE_H

#include <stdio.h>

#include "base/err.h"
#include "fs/fs.h"

/* How an image is mounted on each node (`mount_with`). */
enum image_mounter {
    IMAGE_MOUNT_SQUASHFUSE,  /* FUSE: no root needed (default) */
    IMAGE_MOUNT_LOOP,        /* the kernel's squashfs on a loop device: root only */
};

/* The kind's settings (fs_conf.opts). */
struct image_opts {
    char *mount;             /* the node-local mount point */
    int mount_with;          /* enum image_mounter */
};

/* The kind's own figures (staging_result.figures): the squashfs file,
 * its build (0 s when reused), the slowest node's mount. */
struct image_figures {
    long long bytes;
    int built;
    double build_s, mount_s;
    const char *mount_with;  /* "squashfuse", "loop"; NULL: not mounted */
};
_Static_assert(sizeof(struct image_figures) <= FS_FIGURES_MAX, "image's figures fit the result");

static inline struct image_figures *image_figures(struct staging_result *st)
{
    return (struct image_figures *)(void *)st->figures.bytes;
}

/* Rank 0: IMAGE made from VENV unless the manifest it was built from
 * still matches, waiting at most LOCK_TIMEOUT s for another build (LOG:
 * a line naming it); FIG gets its size, whether it was built and the time. */
int image_build(const char *venv, const char *image, double lock_timeout, FILE *log, struct image_figures *fig,
                struct err *e);


/* fs_image_mount.c: IMAGE mounted at DIR with HOW: DIR made ours first (a
 * stage target's checks), refused while anything is mounted there;
 * *POINT (a new string) where, as the kernel names it; *SECONDS the
 * whole of it. */
int image_mount(const char *image, const char *dir, enum image_mounter how, char **point, double *seconds,
                struct err *e);
/* The mount at POINT (canonical) undone if it is IMAGE's (squashfuse's
 * named after it, or squashfs on a loop device backed by it), lazily
 * when busy; any other filesystem there is left alone. */
int image_unmount(const char *point, const char *image, struct err *e);
/* IMAGE's mounts at PLACE or PLACE-node<k> undone, LOG a line each: the
 * caller holds PLACE's lock, so they are a killed run's. */
int image_sweep(const char *image, const char *place, FILE *log, struct err *e);

#endif
