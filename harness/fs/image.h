/* image.h: the kind `image`'s pieces: the squashfs build (image_build.c)
 * and running its tools (mksquashfs, squashfuse, fusermount). */
#ifndef IMAGE_H
#define IMAGE_H

#include "err.h"
#include "result.h"

/* Runs ARGV (no shell), at most TIMEOUT seconds; a failure is EXIT_SETUP
 * naming WHAT, the tool and the tail of its stderr. */
int image_tool(char *const *argv, double timeout, const char *what, struct err *e);
/* Rank 0: IMAGE made from VENV unless the manifest it was built from
 * still matches; ST gets its size, whether it was built and the time. */
int image_build(const char *venv, const char *image, struct staging_result *st, struct err *e);

#endif
