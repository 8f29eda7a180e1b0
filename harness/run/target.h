/* target.h: the machine and filesystem a run mode acts on, found in the
 * config with this run's overrides applied, and what its kind is given. */
#ifndef RUN_TARGET_H
#define RUN_TARGET_H

#include <stdio.h>

#include "config/config.h"
#include "fs/fs.h"
#include "run/run.h"

struct run_target {
    const struct machine_conf *m;
    const struct fs_conf *fs;
};

/* O's machine and filesystem in CONF; O->cleanup replaces the kind's
 * `cleanup` (when the kind has one). -1 with E set. */
int run_target_find(struct config *conf, const struct run_opts *o, struct run_target *t, struct err *e);
/* What the kind's operations get for this run. */
struct fs_run run_target_fs(MPI_Comm comm, const struct run_target *t, const struct run_opts *o, FILE *log);

#endif
