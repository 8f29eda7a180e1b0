/* slurp.h: a whole file read into memory, up to a limit: configuration
 * files are small, and /dev/zero or a runaway file must not eat the node. */
#ifndef SLURP_H
#define SLURP_H

#include <stddef.h>

#include "base/err.h"

/* PATH's contents, NUL-terminated, in a new buffer; *LEN (may be NULL)
 * gets their length. A FIFO (which would hold the open for a writer), a
 * socket, a block device or a directory is refused at once; a regular
 * file or a character device is read. More than
 * MAX bytes, or a read error, is an error naming WHAT ("config") and
 * PATH, with status STATUS. */
char *slurp(const char *what, const char *path, size_t max, size_t *len, int status, struct err *e);

#endif
