/* gen_jobs.h: --gen-jobs: one sbatch script per machine x filesystem x
 * size (x suite) of a config, all checked before any is written. */
#ifndef JOBGEN_GEN_JOBS_H
#define JOBGEN_GEN_JOBS_H

#include "base/err.h"

struct gen_jobs_opts {
    const char *config;      /* the config file the jobs pass on */
    const char *machine;     /* only this machine's jobs; NULL: every machine's */
    const char *size;        /* only this size; NULL: every size */
    const char *out;         /* the directory the scripts go to */
};

/* Writes the scripts into O->out (created), each whole, and removes the
 * scripts of this config that it no longer produces. */
int gen_jobs(const struct gen_jobs_opts *o, struct err *e);

#endif
