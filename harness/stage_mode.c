/* stage_mode.c: --stage-only and the staging step of a run: placeholder
 * until the stager lands (issue: the stager). */
#include "modes.h"

int stage_only_main(MPI_Comm comm, const struct options *o, struct err *e)
{
    (void)comm;
    (void)o;
    return err_set(e, EXIT_USAGE, "--stage-only: the stager is not built yet");
}

int stage_for_run(MPI_Comm comm, const struct config *conf, const struct machine_conf *m,
                  const struct fs_conf *fs, const struct options *o, json_object **staging, struct err *e)
{
    (void)comm, (void)conf, (void)m, (void)fs, (void)o, (void)e;
    *staging = NULL;
    return 0;
}
