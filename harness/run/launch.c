/* launch.c: the figures that continue the original series, from the job
 * script's stamp before the launcher (--launch-start) to the import phase. */
#include "run/launch.h"

#include "base/clock.h"
#include "base/collective.h"

int launch_check(MPI_Comm comm, double launch_start, struct err *e)
{
    double now = wall_seconds();
    /* A stamp from the future would make launch_s and original_s negative
     * in the results, where no reader would question them. */
    if (launch_start > now + LAUNCH_CLOCK_SLACK_S)
        err_set(e, EXIT_USAGE,
                "--launch-start %.3f is %.0f s later than this run's start (%.3f): it must be stamped before the "
                "launcher (date +%%s.%%N)",
                launch_start, launch_start - now, now);
    return coll_agree(comm, e);
}

void launch_figures(MPI_Comm comm, double launch_start, const struct child_result *import_phase,
                    struct run_result *r)
{
    if (!(launch_start > 0))
        return;
    /* Both on CLOCK_REALTIME, the only clock `date` and this process share;
     * the slowest rank is the one the whole job waited for. */
    double mine[2] = {import_phase->wall_start - launch_start, import_phase->wall_end - launch_start};
    double most[2] = {0, 0};
    MPI_Reduce(mine, most, 2, MPI_DOUBLE, MPI_MAX, 0, comm);
    r->has_launch = 1;
    r->launch_s = most[0];
    r->original_s = most[1];
}
