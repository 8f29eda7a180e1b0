/* image.h: the kind `image`'s pieces: the squashfs build (image_build.c)
 * and running its tools (mksquashfs, squashfuse, fusermount). */
#ifndef IMAGE_H
#define IMAGE_H

#include <stdio.h>

#include "err.h"
#include "fs_kind.h"
#include "result.h"

/* Runs ARGV (no shell), at most TIMEOUT seconds; a failure is EXIT_SETUP
 * naming WHAT, the tool and the tail of its stderr. DAEMON: the tool
 * leaves a daemon behind on purpose, which is not killed. */
int image_tool(char *const *argv, double timeout, const char *what, int daemon, struct err *e);
/* Rank 0: IMAGE made from VENV unless the manifest it was built from
 * still matches; ST gets its size, whether it was built and the time. */
int image_build(const char *venv, const char *image, struct staging_result *st, struct err *e);


/* image_mount.c: IMAGE mounted at DIR (made ours first, a stale mount
 * undone; LOG: a line when it is) with HOW; *SECONDS the whole of it. */
int image_mount(const char *image, const char *dir, enum fs_mounter how, FILE *log, double *seconds, struct err *e);
/* DIR unmounted if it is mounted (lazily when busy). */
int image_unmount(const char *dir, struct err *e);
int image_is_mounted(const char *dir);

#endif
