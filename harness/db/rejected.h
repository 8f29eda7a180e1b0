/* rejected.h: results and files the database will never take, kept out of
 * the spool (so every later flush does not fail on them) with the reason. */
#ifndef REJECTED_H
#define REJECTED_H

#include <stddef.h>

#include "base/err.h"
#include "db/rows.h"

/* SPOOL_DIR/rejected: beside the spool's files, never listed as one of them. */
char *rejected_dir_of(const char *spool_dir);

/* Writes P to SPOOL_DIR/rejected/result-KEY.json, the spool file's form
 * with "rejected_because": WHY inside. PATH gets its name. */
int rejected_keep(const char *spool_dir, const struct pending_result *p, const char *why, char *path, size_t n,
                  struct err *e);

/* Moves the spool file FILE (any kind of file; a link is moved, never
 * followed) into SPOOL_DIR/rejected/ and writes WHY as one line into the
 * file of the same name with ".reason" added. */
int rejected_set_aside(const char *spool_dir, const char *file, const char *why, struct err *e);

#endif
