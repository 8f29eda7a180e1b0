/* bcast_tree.h: the filesystem side of the broadcast (kind bcast): the
 * source's manifest, rank 0's reads and deltas, a node's local copy. */
#ifndef BCAST_TREE_H
#define BCAST_TREE_H

#include <librsync.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

#include "err.h"

enum bcast_type { BCAST_DIR = 'd', BCAST_FILE = 'f', BCAST_LINK = 'l' };

struct bcast_entry {
    char *rel;               /* below the top, "bin/python"; never "" */
    char type;               /* enum bcast_type */
    mode_t mode;             /* permission bits only */
    struct timespec mtime;
    long long size;          /* regular files */
    char *link;              /* symlinks: the target as read; else NULL */
};

/* What rank 0 found in the source, walk order (a directory before what
 * it holds), *.pyc and the stager's own files left out, as rsync would. */
struct bcast_manifest {
    char *source;            /* as configured: the copies' state names it */
    mode_t root_mode;
    struct timespec root_mtime;
    char *prefixes[2];       /* the source's old places, for the fix-ups */
    int nprefixes;
    struct bcast_entry *v;
    size_t n, cap;
};

/* bcast_manifest.c. Lstat only, symlinks never followed. On failure E
 * names the path (EXIT_SETUP for a missing source) and M holds nothing. */
int bcast_manifest_walk(const char *source, struct bcast_manifest *m, struct err *e);
/* M as one buffer (the caller frees) for MPI_Bcast; unpack checks every
 * length and path (no "..", nothing absolute) before trusting it. */
char *bcast_manifest_pack(const struct bcast_manifest *m, size_t *len);
int bcast_manifest_unpack(const char *buf, size_t len, struct bcast_manifest *m, struct err *e);
void bcast_manifest_free(struct bcast_manifest *m);

/* bcast_source.c: rank 0's reads of the source. */
struct bcast_source {
    const struct bcast_manifest *m;
    int root, fd;            /* the source's top; the file being read */
    size_t fd_idx;
};
int bcast_source_open(struct bcast_source *s, const struct bcast_manifest *m, struct err *e);
/* N bytes of entry IDX from OFF into BUF: exactly those (a file that
 * shrank since the walk is an error). */
int bcast_source_read(struct bcast_source *s, size_t idx, long long off, char *buf, size_t n, struct err *e);
/* The delta of entry IDX against the signature SIG (new *DELTA buffer). */
int bcast_source_delta(struct bcast_source *s, size_t idx, const char *sig, size_t sig_len, char **delta,
                       size_t *delta_len, rs_stats_t *st, struct err *e);
void bcast_source_close(struct bcast_source *s);

/* bcast_crawl.c: a directory as read by the crawl; per name (sorted):
 * ERR 0, an errno of its lstat, or -1 (not staged: skipped); a link's
 * target (LINK_ERR: why not), a directory's own (SUB_ERR: why not). */
struct crawl_dir {
    char **names;
    size_t n;
    int list_err;            /* the listing failed: errno */
    struct stat *st;
    int *err, *link_err, *sub_err;
    char **link;
    struct crawl_dir **sub;
};
/* The tree below ROOT (not closed), read by several threads; never NULL. */
struct crawl_dir *crawl_tree(int root);
void crawl_free(struct crawl_dir *d);

/* bcast_local.c: one node's copy, written by its leader rank. Each entry
 * is surveyed into one status byte (bits, OR-ed over the leaders). */
enum { BCAST_HAVE = 0, BCAST_MISSING = 1, BCAST_CHANGED = 2 };
struct bcast_local;
/* DIR created with its parents (as stage_open_target checks them) and
 * locked, waiting up to LOCK_TIMEOUT seconds (LOG: a line when it waits
 * for another stage's lock; may be NULL). NULL with E set. */
struct bcast_local *bcast_local_open(const struct bcast_manifest *m, const char *dir, FILE *log, double lock_timeout,
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
