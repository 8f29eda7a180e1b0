/* atomic_write.h: a file replaced whole or not at all, and durable once
 * written: the result JSON, spool files and job scripts all go this way. */
#ifndef ATOMIC_WRITE_H
#define ATOMIC_WRITE_H

#include <stddef.h>
#include <sys/types.h>

#include "base/err.h"

/* Writes LEN bytes of DATA to PATH through a temporary file in the same
 * directory: fsync of the file, rename over PATH, fsync of the directory.
 * MODE is the new file's permissions (before the umask). On failure the
 * temporary file is gone and E names PATH (EXIT_RUNTIME). */
int atomic_write(const char *path, const char *data, size_t len, mode_t mode, struct err *e);
/* All N bytes of DATA to FD, through short writes and EINTR; -1 with errno. */
int write_full(int fd, const char *data, size_t n);
/* fsync of the directory holding PATH (a rename or unlink in it is then
 * durable); errors are ignored: the data itself is already safe. */
void fsync_parent(const char *path);

#endif
