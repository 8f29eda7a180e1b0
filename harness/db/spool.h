/* spool.h: the spool directory: results the database could not
 * take, one file each, written whole or not at all, sent by --flush-spool. */
#ifndef SPOOL_H
#define SPOOL_H

#include <stddef.h>

#include "config.h"
#include "err.h"
#include "rows.h"

/* database.spool_dir, else spool/ in the config file's directory: the one
 * place that both the job and a later --flush-spool (from cron, from any
 * working directory) derive from the same config. A new string. */
char *spool_dir_of(const struct config *conf);

/* Writes P to DIR/result-KEY.json (DIR created if needed) through a
 * temporary file, fsync and rename; PATH gets the file's name. */
int spool_write(const char *dir, const struct pending_result *p, char *path, size_t n, struct err *e);
/* Reads a spooled file back into P (pending_free it). */
int spool_read(const char *path, struct pending_result *p, struct err *e);
/* The spooled files of DIR, sorted; a missing DIR holds none. */
int spool_list(const char *dir, char ***paths, int *n, struct err *e);
void spool_list_free(char **paths, int n);
/* Removes a sent file; one already gone (another flush) is no error. */
int spool_remove(const char *path, struct err *e);

#endif
