/* config.h: the benchmark's configuration as read from a libconfig file:
 * machines, their filesystems, the venv, the import statement, limits. */
#ifndef CONFIG_H
#define CONFIG_H

#include "base/err.h"
#include "fs/fs_kind.h"   /* struct fs_conf: a filesystem as its kind reads it */

struct size_conf {
    char *name;          /* "small", "large" */
    int nodes;
    int tasks_per_node;
    char *time_limit;    /* sbatch --time, "00:40:00" */
    int line;
};

struct slurm_conf {
    char *account, *partition, *qos, *license, *constraint;
    char **extra;        /* verbatim directive lines, e.g. "#DW jobdw ..." */
    int nextra;
    char *log_dir;       /* where job output goes */
    double log_max_age_days;
    int line;            /* of the slurm block, else of the machine */
};

/* An import suite: a named statement and the pip packages it needs. */
struct suite_conf {
    char *name;
    char *import_stmt;
    char **packages;
    int npackages;
    int line;
};

struct machine_conf {
    char *name;
    char *venv;          /* the source virtualenv, absolute */
    char *import_stmt;   /* a statement of its own instead of a suite; NULL: none */
    char **suites;       /* the suites its venv carries; the first is the default */
    int nsuites;
    double timeout;      /* seconds a child may take before it is killed */
    int cores_per_node;
    char *launcher;      /* "srun" or "mpirun" */
    char **launcher_args; /* the launcher's own options in the jobs, e.g. "--mpi=pmi2"
                           * for an MPICH under a Slurm whose default is pmix */
    int nlauncher_args;
    char *harness;       /* the harness binary jobs run; NULL: the one
                          * that writes them (--gen-jobs) */
    char **env_setup;    /* shell lines run first in each job (modules) */
    int nenv_setup;
    int debug;           /* jobs list modules and trace with set -x */
    struct fs_conf *fs;
    int nfs;
    struct size_conf *sizes;
    int nsizes;
    struct slurm_conf slurm;
    int line;
};

struct db_conf {
    char *conninfo;      /* libpq conninfo or "service=NAME"; NULL: none */
    char *spool_dir;     /* results that could not be sent wait here */
    double lost_after_hours;
    double statement_timeout; /* seconds a statement may take (server and client side) */
};

/* What the report's regression gate reads from the config. */
struct report_conf {
    int level_runs;      /* a setup's current level without a change point: its last N ok runs */
};

/* config_parse_flags: $VARS unset here are kept as written, not errors,
 * and such paths are left unresolved. For --gen-jobs, which runs where
 * $SCRATCH or DataWarp's $DW_JOB_STRIPED need not exist: the jobs pass
 * the config on and the harness expands it on the compute node. */
#define CONFIG_DEFER_UNSET_VARS 1u

struct config {
    char *path;          /* the file, as named on the command line */
    unsigned flags;      /* CONFIG_* given to config_parse_flags */
    char *dir;           /* its directory: relative paths start here */
    struct machine_conf *machines;
    int nmachines;
    struct suite_conf *suites;   /* never empty: the built-in "numpy" when the file has none */
    int nsuites;
    struct db_conf db;
    struct report_conf report;
};

/* Parses TEXT (the contents of PATH) into CONF. On error fills E with
 * "PATH:LINE: message" and status EXIT_USAGE, and CONF holds nothing. */
int config_parse(const char *text, const char *path, struct config *conf, struct err *e);
int config_parse_flags(const char *text, const char *path, unsigned flags, struct config *conf, struct err *e);
/* A config file is small; anything larger is a mistake (or /dev/zero). */
#define CONFIG_MAX_BYTES (1u << 20)
/* Reads PATH whole into a new NUL-terminated buffer the caller frees. */
char *config_slurp(const char *path, struct err *e);
int config_load(const char *path, struct config *conf, struct err *e);
int config_load_flags(const char *path, unsigned flags, struct config *conf, struct err *e);
void config_free(struct config *conf);

const struct machine_conf *config_machine(const struct config *conf, const char *name, struct err *e);
const struct fs_conf *config_fs(const struct config *conf, const struct machine_conf *m,
                                const char *name, struct err *e);
/* Letters, digits, '.', '_', '-', not first '.' or '-': what every name
 * that becomes a job or file name must be (checked when the file is read). */
int config_plain_name(const char *s);

/* Upper bounds of the file's values and the command line's. */
#define TIMEOUT_MAX_S (7 * 86400.0)       /* a child's timeout: a week */
#define DAYS_MAX 36500                     /* log ages, report windows: a century */

const struct suite_conf *config_suite(const struct config *conf, const char *name);

#endif
