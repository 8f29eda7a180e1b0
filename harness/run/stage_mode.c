/* stage_mode.c: --stage-only: the kind's stage step alone, as a job's
 * stage step runs it (one process, no MPI) or under a launcher. */
#include <mpi.h>
#include <stdio.h>
#include <string.h>

#include "base/collective.h"
#include "run/run.h"
#include "run/target.h"

static int stage_step(MPI_Comm comm, struct config *conf, const struct run_opts *o, struct staging_result *st,
                      struct err *e)
{
    struct run_target t;
    if (run_target_find(conf, o, &t, e) < 0)
        return -1;
    const struct fs_kind *k = t.fs->kind;
    if (!k->ops.stage)
        return err_set(e, EXIT_USAGE, "%s:%d: filesystem '%s' is %s (kind %s): there is nothing to stage", conf->path,
                       t.fs->line, t.fs->name, k->how, k->name);
    struct fs_run f = run_target_fs(comm, &t, o, o->quiet ? NULL : stderr);
    return k->ops.stage(&f, st, e);
}

int stage_only(MPI_Comm comm, struct config *conf, const struct run_opts *o, struct staging_result *st, struct err *e)
{
    memset(st, 0, sizeof *st);
    stage_step(comm, conf, o, st, e);
    if (comm != MPI_COMM_NULL)
        coll_agree(comm, e);
    return e->status;
}
