/* cli.h: the command line: which mode runs and its options, parsed once
 * into struct options, plus the usage text that doubles as the man page. */
#ifndef CLI_H
#define CLI_H

#include <stdio.h>

#include "base/err.h"
#include "run/run.h"

enum mode {
    MODE_RUN,            /* the benchmark (default) */
    MODE_STAGE_ONLY,     /* stage the venv to the filesystem, nothing else */
    MODE_CHECKS_ONLY,    /* the set-up checks in one process, nothing else */
    MODE_DB_INIT,        /* create or migrate the results schema */
    MODE_RESERVE,        /* insert a 'reserved' result row, print its id */
    MODE_MARK_FAILED,    /* close a reserved row as failed at a job step */
    MODE_FLUSH_SPOOL,    /* send spooled results to the database */
    MODE_SWEEP,          /* mark old reserved rows 'lost' */
    MODE_REPORT,         /* summary tables and plots from the database */
    MODE_GEN_JOBS,       /* write the sbatch scripts */
    MODE_SUITE_PACKAGES, /* print the pip packages of a machine's suites */
    MODE_HELP,
    MODE_VERSION,
};

struct options {
    enum mode mode;
    const char *config;
    struct run_opts run;     /* the run's and --stage-only's, --checks-only's */
    const char *json;        /* path, or "-" for stdout */
    long long result_id;     /* --result-id: the reserved row to record into */
    int ranks;               /* --ranks: expected ranks of a reserved row */
    int days;                /* --days: report window */
    const char *out;         /* --out: report or job script directory */
    const char *step;        /* --step: the job step that failed */
    const char *message;     /* --message: why it failed */
    const char *size;        /* --size: job size for --gen-jobs */
    int html;                /* --html: the report also as one HTML page */
    int jsonl;               /* --format jsonl: one JSON object per result instead of tables */
    int format_given;        /* --format at all (text too): only with --report */
    double fail_ratio;       /* --fail-on-regression: exit 1 past this slowdown; 0: off */
    double baseline_t;       /* --baseline DATE: unix seconds; 0: none */
    int accept_baseline;     /* --accept-baseline: store the current levels as baselines */
};

/* Fills O from ARGV. Returns 0, or -1 with E set (EXIT_USAGE). */
int cli_parse(int argc, char **argv, struct options *o, struct err *e);
void cli_usage(FILE *out);

#define HARNESS_VERSION "0.1.0"

#endif
