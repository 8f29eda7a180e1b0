/* fs.h: the filesystem kinds at run time: what their operations get, and
 * what the kinds share (warming other nodes, a missing venv's message). */
#ifndef FS_H
#define FS_H

#include <mpi.h>
#include <stdio.h>

#include "base/err.h"
#include "fs/fs_kind.h"
#include "fs/fs_result.h"

/* What a run holds of its filesystem from prepare to finish: prepare sets
 * it, finish undoes only what it says this run made or accepted. */
struct fs_hold {
    int lock_fd;             /* PLACE.lock, on each machine's first rank; -1: not held */
    int accepted;            /* prepare took the lock and made or accepted this run's copies */
    char *point;             /* where this rank mounted, as the kernel names it; NULL: nowhere */
    char *image;             /* what it mounted there (an image file); NULL: nothing */
};

/* What a kind's operations get: the run's setting, read-only. */
struct fs_run {
    MPI_Comm comm;           /* MPI_COMM_NULL: one process without MPI (--stage-only) */
    const char *source;      /* the machine's venv, which the kind brings to the ranks */
    const struct fs_conf *fs;
    int ranks_per_node;      /* pretend nodes of this many ranks; 0: the real ones */
    int delete_extra;        /* staging removes what the source no longer has */
    FILE *log;               /* progress on rank 0, NULL elsewhere or when quiet */
    struct fs_hold *hold;    /* the run's, for prepare and finish; NULL: neither runs */
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

/* fs_hold.c: a run's hold on the places it makes. PLACE (a copy's or a
 * mount point's configured path) is this run's on every machine: the
 * machine's first rank takes PLACE.lock beside it, waiting at most the
 * filesystem's lock_timeout for a run holding it (one line naming the
 * holder), until fs_release. A copy or mount of PLACE's is a killed
 * run's only while this lock is held. Collective. */
int fs_hold_place(const struct fs_run *f, const char *place, struct err *e);
/* Once every rank is done: the lock and F->hold's point let go. Collective. */
void fs_release(const struct fs_run *f);
/* Is this rank its real machine's first (pretend nodes or not)? Collective. */
int fs_machine_first(const struct fs_run *f);
/* PLACE's directory opened as a stage target (missing parts made, another
 * user's link or directory refused), and PLACE's last component. */
struct fs_place {
    char *parent, *base;
    int dfd;
};
int fs_place_open(const char *place, struct fs_place *p, struct err *e);
void fs_place_close(struct fs_place *p);
/* The path the kernel knows the open FD by (canonical: no link, no `//`);
 * a new string, NULL if unknown. */
char *fs_fd_path(int fd);
/* Every entry of DFD whose name starts with PREFIX removed: a killed
 * run's temporary files, once the caller holds the lock they were made under. */
void fs_sweep_prefixed(int dfd, const char *prefix);
/* NAME is BASE itself or a pretend node's BASE-node<k>. */
int fs_is_node_name(const char *name, const char *base);

#endif
