/* launch.c: the figures that continue the original series, from the job
 * script's stamp before the launcher (--launch-start) to the import phase. */
#include "run/launch.h"

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
