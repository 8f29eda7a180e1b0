/* bcast_tree.h: the filesystem side of the broadcast (kind bcast): rank
 * 0's reads and deltas of the source, a node's local copy. */
#ifndef BCAST_TREE_H
#define BCAST_TREE_H

#include <librsync.h>
#include <stdio.h>

#include "../staging/tree_manifest.h"

/* bcast_source.c: rank 0's reads of the source. */
struct bcast_source {
    const struct tree_manifest *m;
    int root, fd;            /* the source's top; the file being read */
    size_t fd_idx;
};
int bcast_source_open(struct bcast_source *s, const struct tree_manifest *m, struct err *e);
/* N bytes of entry IDX from OFF into BUF: exactly those (a file that
 * shrank since the walk is an error). */
int bcast_source_read(struct bcast_source *s, size_t idx, long long off, char *buf, size_t n, struct err *e);
/* The delta of entry IDX against the signature SIG (new *DELTA buffer). */
int bcast_source_delta(struct bcast_source *s, size_t idx, const char *sig, size_t sig_len, char **delta,
                       size_t *delta_len, rs_stats_t *st, struct err *e);
void bcast_source_close(struct bcast_source *s);

/* bcast_local.c: one node's copy, written by its leader rank. Each entry
 * is surveyed into one status byte (bits, OR-ed over the leaders). */
enum { BCAST_HAVE = 0, BCAST_MISSING = 1, BCAST_CHANGED = 2 };
struct bcast_local;
/* DIR created with its parents (as stage_open_target checks them) and
 * locked, waiting up to LOCK_TIMEOUT seconds (LOG: a line when it waits
 * for another stage's lock; may be NULL). NULL with E set. */
struct bcast_local *bcast_local_open(const struct tree_manifest *m, const char *dir, FILE *log, double lock_timeout,
                                     struct err *e);
/* Directories and symlinks put right; each regular file classified
 * HAVE (same size and mtime, or fixed up from this very source file),
 * MISSING (none, or not a regular file) or CHANGED (another version). */
int bcast_local_survey(struct bcast_local *l, unsigned char *status);
/* Bytes OFF.. of entry IDX, received whole: the first piece opens a
 * temporary file, the last renames it into place with mode and mtime. */
int bcast_local_put(struct bcast_local *l, size_t idx, const char *data, long long off, size_t n);
/* The librsync signature of the local copy of entry IDX (new buffer). */
int bcast_local_sig(struct bcast_local *l, size_t idx, char **sig, size_t *len);
/* The local copy of entry IDX patched with DELTA into its new version. */
int bcast_local_patch(struct bcast_local *l, size_t idx, const char *delta, size_t len);
/* Fix-ups for this copy's own path, the state file, the directories'
 * modes and mtimes (deepest first: writing changed them). */
int bcast_local_finish(struct bcast_local *l);
/* Unlocks (marked whole only after a finish) and frees; NULL is fine. */
void bcast_local_close(struct bcast_local *l);

#endif
