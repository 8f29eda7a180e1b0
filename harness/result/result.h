/* result.h: one run's outcome as rank 0 holds it after the gather, typed
 * end to end: set-up checks, timed phases, staging, import profile, status. */
#ifndef RESULT_H
#define RESULT_H

#include <limits.h>
#include <stdint.h>

#include "base/counters.h"
#include "base/stats.h"
#include "fs/fs_result.h"

/* File metadata system calls of one import, counted with strace (run/metaops.c). */
#define METAOPS_MAX 24

struct metaops {
    int available;       /* 0: strace missing or refused; see reason */
    char reason[256];
    int ncalls;
    struct {
        char name[24];
        long count;
    } calls[METAOPS_MAX];
    long total;
    long failed;         /* returned -1, any errno */
    long enoent;         /* returned -1 ENOENT: the module search's misses */
};

#define HOST_MAX 64
#define ERRTEXT_MAX 4096
#define PROFILE_TOP 20
#define MODULE_NAME_MAX 128

/* What each rank sends to rank 0: fixed size, so one MPI_Gather moves it. */
struct rank_record {
    double seconds[2];       /* per phase: import, startup */
    int32_t status[2];       /* enum child_status */
    int32_t exit_code[2];
    int32_t leftover[2];     /* descendants still running when the child ended */
    char host[HOST_MAX];
};

enum phase_id { PHASE_IMPORT = 0, PHASE_STARTUP = 1, NPHASES = 2 };

struct phase_summary {
    int ran;
    double elapsed_s;        /* longest barrier-to-barrier span (median over repeats) */
    struct stats per_rank;
    int ok, failed, timed_out;
    int leftover_descendants; /* processes the children left running, killed; all ranks and repeats */
    int slowest_rank;
    char slowest_host[HOST_MAX];
    int first_failed_rank;   /* -1: none */
    int first_failed_exit;
    char first_error[ERRTEXT_MAX]; /* the tail of that rank's stderr */
};

struct setup_info {
    int checked;
    char python[PATH_MAX];
    char python_version[32];
    char numpy_version[32];
    char modules[1024];      /* "numpy=/path/numpy/__init__.py;..." */
    char import_error[512];  /* the check's own import failed: why */
    double warmup_s;
    int leftover_descendants; /* left running by the checks' children, killed */
    struct metaops meta;
};

/* --profile-imports: the costliest modules by median self time. */
struct profile_module {
    char module[MODULE_NAME_MAX];
    int ranks;               /* ranks that imported it */
    double self_median_us, self_max_us, cumulative_median_us, cumulative_max_us;
};

struct import_profile {
    int done;                /* 0: not asked for */
    int ranks, modules_seen, n;
    struct profile_module top[PROFILE_TOP];
};

/* The filesystem's probe (README "The metadata server's load"): its
 * counters' growth over the import phase, summed over the nodes probed. */
struct server_ops {
    int probed;              /* the filesystem has a probe; 0: none, nothing to say */
    int available;           /* 0: a probe failed or printed nothing; see reason */
    char reason[512];
    char scope[8];           /* "node" or "job" */
    int nodes;               /* probes summed (node leaders, or rank 0 alone) */
    struct counters delta;   /* per counter, after - before, over every repeat */
    long long total;         /* the sum of delta's counters not reset */
};

/* Decided once, by the run, from both phases' counts: any timed-out child
 * makes it a timeout, else any failed one a failure. */
enum run_status { RUN_OK = 0, RUN_FAILED = 1, RUN_TIMEOUT = 2 };

struct run_result {
    const char *machine, *filesystem, *fs_kind, *import_stmt; /* the config's (it outlives the result) */
    char venv[PATH_MAX];     /* where the ranks imported from: a node's own copy for bcast */
    const char *suite;       /* the import suite, or "custom" */
    int ranks, nodes;
    int repeats;             /* timed phases run this many times */
    char started_at[32];     /* UTC, ISO 8601 */
    char job_id[64];         /* SLURM_JOB_ID, "" outside Slurm */
    int slurm_nodes;         /* SLURM_JOB_NUM_NODES, 0 outside Slurm */
    struct setup_info setup;
    struct phase_summary phase[NPHASES];
    struct staging_result staging;
    struct import_profile profile;
    struct server_ops server_ops;
    enum run_status status;
    /* --launch-start (README "Which figure to compare"): absent, has_launch 0. */
    int has_launch;
    double launch_s;         /* launch start to the import phase's first barrier, max over ranks */
    double original_s;       /* launch start to the import phase's end: the original series' figure */
    double harness_wall_s;   /* rank 0: the run's first barrier to the end of its last phase */
};

/* The status of R from its phases' counts. */
enum run_status run_status_of(const struct run_result *r);
const char *run_status_name(enum run_status s);
/* Staging (if any) plus the import's elapsed time: what a job waits for
 * before its first import is done. */
double run_first_import_s(const struct run_result *r);
/* The server's operations per rank and per import: the total over ranks
 * and repeats (0 when there are none). */
double server_ops_per_rank_import(const struct run_result *r);

#endif
