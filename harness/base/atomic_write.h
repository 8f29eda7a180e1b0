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
/* The same for NAME in the directory DFD (SHOWN names it in messages):
 * the temporary file is created O_EXCL | O_NOFOLLOW and renamed over NAME,
 * so a link planted at NAME is replaced, never written through. */
int atomic_write_at(int dfd, const char *name, const char *shown, const char *data, size_t len, mode_t mode,
                    struct err *e);
/* A new file (DIR 0) or directory (DIR 1) named PREFIX and 8 random hex
 * digits in DFD, never an existing one: its fd (a file, opened for
 * writing) or 0 (a directory), NAME its name; -1 with errno. */
int create_unique_at(int dfd, const char *prefix, char *name, size_t n, int dir, mode_t mode);
/* All N bytes of DATA to FD, through short writes and EINTR; -1 with errno. */
int write_full(int fd, const char *data, size_t n);
/* fsync of the directory holding PATH (a rename or unlink in it is then
 * durable); errors are ignored: the data itself is already safe. */
void fsync_parent(const char *path);

#endif
