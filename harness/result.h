/* result.h: one run's outcome as rank 0 holds it after the gather: what
 * the set-up checks found and the summary of each timed phase. */
#ifndef RESULT_H
#define RESULT_H

#include <json-c/json.h>
#include <limits.h>
#include <stdint.h>

#include "metaops.h"
#include "stats.h"

#define HOST_MAX 64
#define ERRTEXT_MAX 4096

/* What each rank sends to rank 0: fixed size, so one MPI_Gather moves it. */
struct rank_record {
    double seconds[2];       /* per phase: import, startup */
    int32_t status[2];       /* enum child_status */
    int32_t exit_code[2];
    char host[HOST_MAX];
};

enum phase_id { PHASE_IMPORT = 0, PHASE_STARTUP = 1, NPHASES = 2 };

struct phase_summary {
    int ran;
    double elapsed_s;        /* longest barrier-to-barrier span (median over repeats) */
    struct stats per_rank;
    int ok, failed, timed_out;
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
    struct metaops meta;
};

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
    json_object *staging;    /* staging statistics, owned; NULL: not staged */
    json_object *import_profile; /* --profile-imports, owned; NULL: not asked */
};

const char *phase_name(enum phase_id p);

#endif
