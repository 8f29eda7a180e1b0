/* fs.h: the filesystem kinds at run time, behind one table of operations:
 * how each brings the venv to every rank before the set-up checks. */
#ifndef FS_H
#define FS_H

#include <mpi.h>

#include "cli.h"
#include "config/config.h"
#include "base/err.h"
#include "run/result.h"

/* What a kind's operations get: the run's setting, read-only. */
struct fs_run {
    MPI_Comm comm;
    const struct machine_conf *m;
    const struct fs_conf *fs;
    const struct options *o;
    FILE *log;               /* progress on rank 0, NULL elsewhere or with --quiet */
};

struct fs_ops {
    /* Puts the venv where this rank imports it from: *VENV (a new string,
     * also on failure) names it; ST, on rank 0, gets the staging figures.
     * Collective over F->comm: a failure anywhere reaches every rank. */
    int (*prepare)(const struct fs_run *f, char **venv, struct staging_result *st, struct err *e);
    /* After rank 0's set-up checks, whose warm-up import wrote bytecode
     * into rank 0's copy only: the same warm-up in every other copy, so
     * that a node's ranks do not all race to write it. ST->leaders (set on
     * every rank by prepare) counts the copies. NULL: one copy serves
     * every rank. Collective. */
    int (*warm)(const struct fs_run *f, const struct staging_result *st, char *const *argv, char *const *envp,
                double timeout, struct err *e);
    /* At the end of the run, also of a failed one, once every rank is
     * done with VENV (prepare's): what the kind undoes or removes; rank
     * 0's ST gets what it did. NULL: nothing to undo. Collective. */
    int (*finish)(const struct fs_run *f, const char *venv, struct staging_result *st, struct err *e);
};

/* The operations of KIND (fs_ops.c holds the table). */
const struct fs_ops *fs_ops_of(enum fs_kind kind);
/* A missing venv at VENV, before any rank spawns from it: the error says
 * how to make it, in the kind's words. */
int fs_check_venv(const struct fs_conf *fs, const char *venv, struct err *e);

/* fs_inplace.c, fs_staged.c, fs_bcast.c: the kinds' operations. */
int fs_inplace_prepare(const struct fs_run *f, char **venv, struct staging_result *st, struct err *e);
int fs_staged_prepare(const struct fs_run *f, char **venv, struct staging_result *st, struct err *e);
int fs_bcast_prepare(const struct fs_run *f, char **venv, struct staging_result *st, struct err *e);
int fs_bcast_warm(const struct fs_run *f, const struct staging_result *st, char *const *argv, char *const *envp,
                  double timeout, struct err *e);
int fs_staged_warm(const struct fs_run *f, const struct staging_result *st, char *const *argv, char *const *envp,
                   double timeout, struct err *e);
/* fs_ops.c: ARGV run once by the leader of every node but rank 0's
 * (RANKS_PER_NODE: pretend nodes, 0: real ones). Collective. */
int fs_warm_other_nodes(MPI_Comm comm, int ranks_per_node, FILE *log, char *const *argv, char *const *envp,
                        double timeout, struct err *e);
/* fs_bcast_cleanup.c: the `cleanup` setting applied to the node copies. */
int fs_bcast_finish(const struct fs_run *f, const char *venv, struct staging_result *st, struct err *e);

/* fs_image.c: the squashfs image mounted on each node. */
int fs_image_prepare(const struct fs_run *f, char **venv, struct staging_result *st, struct err *e);
int fs_image_finish(const struct fs_run *f, const char *venv, struct staging_result *st, struct err *e);
/* Rank 0 of COMM (or the one process, COMM_NULL) builds the image of VENV
 * unless it is up to date: --stage-only, and the run's first step. */
int fs_image_stage(MPI_Comm comm, const struct fs_conf *fs, const char *venv, FILE *log, struct staging_result *st,
                   struct err *e);
/* Where the children of a read-only VENV keep bytecode (node-local memory
 * beside its mount), a new string; NULL: beside the sources, as usual. */
char *fs_pycache_prefix(const struct fs_conf *fs, const char *venv);

/* fs_staged.c: stages M's venv into FS on rank 0 of COMM (MPI_COMM_NULL:
 * this one process) while the others wait, then on every other node that
 * cannot see rank 0's copy (a node-local path: fs_staged_nodes.c); ST on rank
 * 0, ST->leaders (the copies) on every rank. --stage-only and a staged
 * run both go this way. Collective. */
int fs_stage(MPI_Comm comm, const struct machine_conf *m, const struct fs_conf *fs, const struct options *o,
             struct staging_result *st, struct err *e);

#endif
