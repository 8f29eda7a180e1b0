/* tree_manifest.h: a directory tree as the stager sees it (entries,
 * sizes, mtimes, modes, links; no *.pyc), read by several threads, packed
 * for MPI: what the bcast copies follow and the image's freshness check. */
#ifndef TREE_MANIFEST_H
#define TREE_MANIFEST_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#include "base/err.h"

enum tree_type { TREE_DIR = 'd', TREE_FILE = 'f', TREE_LINK = 'l' };

struct tree_entry {
    char *rel;               /* below the top, "bin/python"; never "" */
    char type;               /* enum tree_type */
    mode_t mode;             /* permission bits only */
    struct timespec mtime;
    long long size;          /* regular files */
    char *link;              /* symlinks: the target as read; else NULL */
};

/* What rank 0 found in the source, walk order (a directory before what
 * it holds), *.pyc and the stager's own files left out, as rsync would. */
struct tree_manifest {
    char *source;            /* as configured: the copies' state names it */
    mode_t root_mode;
    struct timespec root_mtime;
    char *prefixes[2];       /* the source's old places, for the fix-ups */
    int nprefixes;
    struct tree_entry *v;
    size_t n, cap;
};

/* tree_manifest.c. Lstat only, symlinks never followed. On failure E
 * names the path (EXIT_SETUP for a missing source) and M holds nothing. */
int tree_manifest_walk(const char *source, struct tree_manifest *m, struct err *e);
/* M as one buffer (the caller frees) for MPI_Bcast; unpack checks every
 * length and path (no "..", nothing absolute) before trusting it. */
char *tree_manifest_pack(const struct tree_manifest *m, size_t *len);
int tree_manifest_unpack(const char *buf, size_t len, struct tree_manifest *m, struct err *e);
void tree_manifest_free(struct tree_manifest *m);

/* tree_crawl.c: a directory as read by the crawl; per name (sorted):
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

#endif
