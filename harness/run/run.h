/* run.h: the benchmark's run and the modes that share its set-up
 * (--stage-only, --checks-only): what they take from the command line. */
#ifndef RUN_RUN_H
#define RUN_RUN_H

#include <mpi.h>

#include "base/err.h"
#include "config/config.h"
#include "fs/fs_result.h"
#include "result/result.h"

struct run_opts {
    const char *machine, *filesystem;
    const char *import_stmt; /* --import: overrides the config's */
    const char *suite;       /* --suite: one of the machine's import suites */
    double timeout;          /* overrides the config's when > 0 */
    const char *child;       /* replaces the python child (make bench) */
    int skip_checks;         /* no set-up checks (make bench) */
    int profile_imports;     /* a -X importtime phase after the timed ones */
    int no_startup;          /* skip the python -c pass phase */
    int repeat;              /* timed phases run this many times */
    int quiet;               /* no progress lines */
    int delete_extra;        /* staging removes what the source lost */
    int ranks_per_node;      /* pretend nodes; 0: the real ones */
    const char *cleanup;     /* a word of the kind's `cleanup` for this run; NULL: the config's */
    double launch_start;     /* Unix time before the launcher; 0: not given */
};

/* run.c: the benchmark on every rank of COMM: prepare the filesystem, the
 * set-up checks, the timed phases; rank 0's R holds the result when it
 * returns EXIT_ALL_OK or EXIT_RANKS_FAILED (then R->status says which).
 * Collective. */
int run_benchmark(MPI_Comm comm, struct config *conf, const struct run_opts *o, struct run_result *r, struct err *e);
/* stage_mode.c: --stage-only: the kind's stage step alone; COMM is
 * MPI_COMM_NULL for one process without MPI, else rank 0 stages while
 * the others wait. ST on rank 0. */
int stage_only(MPI_Comm comm, struct config *conf, const struct run_opts *o, struct staging_result *st, struct err *e);
/* checks_mode.c: --checks-only: the set-up checks in this one process. */
int checks_only(const struct config *conf, const struct run_opts *o, struct err *e);

#endif
