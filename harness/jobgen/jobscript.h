/* jobscript.h: one sbatch script (machine x filesystem x size) as text:
 * what may go into it (checked against the config) and its writing. */
#ifndef JOBSCRIPT_H
#define JOBSCRIPT_H

#include <stdio.h>

#include "config/config.h"
#include "base/err.h"

/* The first line after the directives that names a generated script;
 * jobs/cron-submit.sh selects scripts by its size= field. */
#define JOBSCRIPT_MARKER "# mpi4py-import job:"

struct jobscript {
    const struct config *conf;
    const char *config_path;     /* absolute: the job passes it on */
    const char *harness;         /* absolute path of the binary the job runs */
    const struct machine_conf *m;
    const struct fs_conf *fs;
    const struct size_conf *size;
    const char *suite;           /* --suite for the job's steps; NULL: the machine's own import */
    const char *log_dir;         /* the machine's, or its canonical form */
    int tasks_per_node;          /* the size's, else the machine's cores */
    char name[512];              /* <machine>-mpi4py-import-<nodes>-<fs>[-<suite>] */
};

/* Fills JS for one combination (SUITE: NULL, or a suite; SUFFIXED: its
 * name ends the job's, as for all but a machine's first suite); checks the names and every config value
 * that goes into the script, so a bad one is reported by file and line
 * rather than breaking the job. */
int jobscript_init(struct jobscript *js, const struct config *conf, const char *config_path, const char *harness,
                   const struct machine_conf *m, const struct fs_conf *fs, const struct size_conf *size,
                   const char *suite, int suffixed, struct err *e);
/* Writes the script. Returns -1 with E set when F reports a write error. */
int jobscript_write(FILE *f, const struct jobscript *js, struct err *e);

#endif
