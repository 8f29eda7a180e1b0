/* beside_exe.h: files that ship with the harness (sql/, tools-venv/),
 * looked for beside the executable or up to two directories above it. */
#ifndef BESIDE_EXE_H
#define BESIDE_EXE_H

#include <stddef.h>

/* The real path of REL (e.g. "sql/schema.sql") in the executable's
 * directory, its parent or grandparent, that passes access(MODE); NULL
 * when none does, with the executable's directory in DIR (LEN bytes). */
char *beside_exe(const char *rel, int mode, char *dir, size_t len);

#endif
