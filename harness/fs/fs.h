/* fs.h: the filesystem kinds at run time: what their operations get, and
 * what the kinds share (warming other nodes, a missing venv's message). */
#ifndef FS_H
#define FS_H

#include <mpi.h>
#include <stdio.h>

#include "base/err.h"
#include "fs/fs_kind.h"
#include "fs/fs_result.h"

/* What a kind's operations get: the run's setting, read-only. */
struct fs_run {
    MPI_Comm comm;           /* MPI_COMM_NULL: one process without MPI (--stage-only) */
    const char *source;      /* the machine's venv, which the kind brings to the ranks */
    const struct fs_conf *fs;
    int ranks_per_node;      /* pretend nodes of this many ranks; 0: the real ones */
    int delete_extra;        /* staging removes what the source no longer has */
    FILE *log;               /* progress on rank 0, NULL elsewhere or when quiet */
};

/* A missing venv at VENV, before any rank spawns from it: the error says
 * how to make it, in the kind's words. */
int fs_check_venv(const struct fs_conf *fs, const char *venv, struct err *e);
/* ARGV run once by the leader of every node but rank 0's. Collective. */
int fs_warm_other_nodes(const struct fs_run *f, int ranks_per_node, char *const *argv, char *const *envp,
                        double timeout, struct err *e);
/* The warm operation of kinds with a copy per node. */
int fs_warm_each_node(const struct fs_run *f, const struct staging_result *st, char *const *argv, char *const *envp,
                      double timeout, struct err *e);
/* Is this rank its (pretend) node's leader? Collective. */
int fs_node_leader(const struct fs_run *f);

#endif
