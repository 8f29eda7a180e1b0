/* fs_image.h: the kind `image`'s pieces: the squashfs build (fs_image_build.c)
 * and running its tools (mksquashfs, squashfuse, fusermount). */
#ifndef FS_IMAGE_H
#define FS_IMAGE_H

#include <stdio.h>

#include "base/err.h"
#include "fs/fs_kind.h"
#include "run/result.h"

/* Rank 0: IMAGE made from VENV unless the manifest it was built from
 * still matches; ST gets its size, whether it was built and the time. */
int image_build(const char *venv, const char *image, struct staging_result *st, struct err *e);


/* fs_image_mount.c: IMAGE mounted at DIR (made ours first, a stale mount
 * undone; LOG: a line when it is) with HOW; *SECONDS the whole of it. */
int image_mount(const char *image, const char *dir, enum fs_mounter how, FILE *log, double *seconds, struct err *e);
/* DIR unmounted if it is mounted (lazily when busy). */
int image_unmount(const char *dir, struct err *e);
int image_is_mounted(const char *dir);

#endif
