/* named_output.h: writing to a path someone named on the command line
 * (--json PATH), which may already be anything: never replace a device. */
#ifndef NAMED_OUTPUT_H
#define NAMED_OUTPUT_H

#include <stddef.h>
#include <sys/types.h>

#include "base/err.h"

/* Writes LEN bytes of DATA to PATH according to what PATH is now:
 * - nothing, or a regular file: atomic_write (replaced whole, MODE);
 * - a character device or a FIFO (/dev/null, a named pipe): written in
 *   place, never replaced; a FIFO must have a reader already;
 * - a symbolic link: refused, neither followed nor replaced (it may be
 *   someone else's, pointing where they want root to write);
 * - anything else (directory, block device, socket): refused.
 * E (EXIT_RUNTIME) names PATH and says which. */
int named_output_write(const char *path, const char *data, size_t len, mode_t mode, struct err *e);

#endif
