/* main.c: the entry point: parses the command line, starts MPI for the
 * modes that need it, and is the one place that prints errors. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "base/err.h"
#include "base/utf8.h"
#include "modes.h"

/* Before MPI_Init the rank is only known from the launcher's environment;
 * used so that a bad command line is reported once, not once per rank. */
static int launcher_rank(void)
{
    static const char *vars[] = {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK", "SLURM_PROCID", NULL};
    for (int i = 0; vars[i]; i++) {
        const char *v = getenv(vars[i]);
        if (v)
            return atoi(v);
    }
    return 0;
}

/* Started by an MPI launcher, as opposed to by hand or by a batch script. */
static int under_mpi_launcher(void)
{
    return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK") || getenv("PMI_RANK") || getenv("PMI_SIZE");
}

static int fail(int rank, const struct err *e)
{
    if (rank == 0 && e->msg[0]) {
        /* Messages carry names from configs, files and the database: one
         * line, and nothing in it a terminal would obey. */
        char *line = utf8_printable(e->msg);
        fprintf(stderr, "harness: %s\n", line);
        free(line);
    }
    return e->status;
}

int main(int argc, char **argv)
{
    struct options o;
    struct err e = {0};
    if (cli_parse(argc, argv, &o, &e) < 0)
        return fail(launcher_rank(), &e);
    if (o.mode == MODE_HELP) {
        cli_usage(stdout);
        return 0;
    }
    if (o.mode == MODE_VERSION) {
        printf("harness %s\n", HARNESS_VERSION);
        return 0;
    }

    const struct mode_row *mode = mode_row_of(o.mode);
    if (mode->mpi == MODE_SERIAL || (mode->mpi == MODE_MPI_IF_LAUNCHED && !under_mpi_launcher())) {
        int status = mode->main(MPI_COMM_NULL, &o, &e);
        return e.status ? fail(0, &e) : status;
    }

    int rank = 0;
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    int status = mode->main(MPI_COMM_WORLD, &o, &e);
    if (e.status)
        status = fail(rank, &e);
    /* mpirun kills the job when the first rank exits non-zero: nobody
     * leaves before rank 0 has said why. */
    fflush(stderr);
    MPI_Barrier(MPI_COMM_WORLD);
    MPI_Finalize();
    return status;
}
