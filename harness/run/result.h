/* result.h: one run's outcome as rank 0 holds it after the gather, typed
 * end to end: set-up checks, timed phases, staging, import profile, status. */
#ifndef RESULT_H
#define RESULT_H

#include <limits.h>
#include <stdint.h>

#include "run/metaops.h"
#include "base/stats.h"

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

/* How the venv got where the ranks import it from; one shape for every
 * kind. ENTRIES = UP_TO_DATE + COPIED + DELTA_UPDATED (+ entries a stage
 * skips: devices, sockets), counted over the source's entries once however
 * many copies there are. */
struct staging_result {
    int done;                /* 0: the venv was used in place */
    const char *kind;        /* the filesystem kind's name: "staged", "bcast" */
    double seconds;          /* the whole step, waiting for the lock included */
    long long entries, up_to_date, copied, delta_updated, deleted;
    long long literal_bytes; /* file data taken from the source */
    long long matched_bytes; /* reused from the copies' old versions */
    long long bytes_sent;    /* staged: literal bytes written; bcast: what crossed between nodes */
    long long bytes_uncompressed, bytes_compressed; /* bcast: whole files before and after zstd */
    int compress_level;      /* bcast: zstd level; 0: sent raw */
    long long signature_bytes; /* bcast: from the leaders back to rank 0 */
    int leaders;             /* ranks that wrote a copy: 1 when staged */
    int waited_for_lock;     /* another stage of the target held it first */
    double lock_wait_s;
    const char *cleanup;     /* bcast: "never", "after-run", "keep-last"; NULL: no copies */
    int copies_removed;      /* by the cleanup at the end of the run */
    /* image: the squashfs file, its build (0 s when reused), the slowest
     * node's mount. */
    long long image_bytes;
    int image_built;
    double build_s, mount_s;
    const char *mount_with;  /* "squashfuse", "loop"; static */
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

/* Decided once, by the run, from both phases' counts: any timed-out child
 * makes it a timeout, else any failed one a failure. */
enum run_status { RUN_OK = 0, RUN_FAILED = 1, RUN_TIMEOUT = 2 };

struct run_result {
    const char *machine, *filesystem, *fs_kind, *import_stmt, *venv;
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

#endif
