/* spool.h: the spool directory: results the database could not
 * take, one file each, written whole or not at all, sent by --flush-spool. */
#ifndef SPOOL_H
#define SPOOL_H

#include <stddef.h>

#include "config/config.h"
#include "base/err.h"
#include "db/rows.h"

/* database.spool_dir, else spool/ in the config file's directory: the one
 * place that both the job and a later --flush-spool (from cron, from any
 * working directory) derive from the same config. A new string. */
char *spool_dir_of(const struct config *conf);

/* DIR (created if missing) is the spool of this user alone: opened from /
 * as a stage target, it must be ours and writable by no other user, and so
 * must its ancestors be but for the sticky bit; no other user's symlink on
 * the way. Else -1 with E ("spool directory: refusing ...", exit 3). */
int spool_trust_dir(const char *dir, struct err *e);

/* Writes P to DIR/result-KEY.json (DIR created if needed, and trusted) through a
 * temporary file, fsync and rename; PATH gets the file's name. */
int spool_write(const char *dir, const struct pending_result *p, char *path, size_t n, struct err *e);
/* The file's JSON object: the envelope of P (json_object_put it). */
json_object *spool_envelope(const struct pending_result *p);

#define SPOOL_MAX_BYTES (64 << 20)
#define SPOOL_GONE 1           /* spool_read: no longer there (a flush alongside sent it) */
#define SPOOL_UNREADABLE (-2)  /* spool_read: cannot be read now (E): keep it */
/* Reads a spooled file back into P (pending_free it): 0, SPOOL_GONE,
 * SPOOL_UNREADABLE, or -1 with E saying why it is no spooled result (not
 * JSON, fields missing, a key that is not a UUID, a link, a FIFO or other
 * non-regular file, another user's file, too big):
 * such a file is to be set aside. Never follows a link nor blocks. */
int spool_read(const char *path, struct pending_result *p, struct err *e);
/* The spooled files of DIR, sorted; a missing DIR holds none; a DIR
 * spool_trust_dir refuses is an error, and nothing in it is listed. */
int spool_list(const char *dir, char ***paths, int *n, struct err *e);
void spool_list_free(char **paths, int n);
/* Removes a sent file; one already gone (another flush) is no error. */
int spool_remove(const char *path, struct err *e);

#endif
