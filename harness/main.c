/* main.c: the entry point: parses the command line, starts MPI for the
 * modes that need it, and is the one place that prints errors. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "base/err.h"
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

typedef int serial_main(const struct options *o, struct err *e);

/* The database and job modes run on a login or batch node, outside any
 * MPI launch: they do not start MPI at all. NULL: the mode needs MPI. */
static serial_main *serial_mode(enum mode m)
{
    switch (m) {
    case MODE_GEN_JOBS: return gen_jobs_main;
    case MODE_CHECKS_ONLY: return checks_only_main;
    case MODE_SUITE_PACKAGES: return suite_packages_main;
    case MODE_DB_INIT:
    case MODE_RESERVE:
    case MODE_MARK_FAILED:
    case MODE_FLUSH_SPOOL:
    case MODE_SWEEP:
    case MODE_REPORT: return results_main;
    default: return NULL;
    }
}

static int fail(int rank, const struct err *e)
{
    if (rank == 0 && e->msg[0])
        fprintf(stderr, "harness: %s\n", e->msg);
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

    serial_main *serial = serial_mode(o.mode);
    if (serial) {
        int status = serial(&o, &e);
        return e.status ? fail(0, &e) : status;
    }

    /* A singleton MPI_Init costs about 0.4 s here, ten times a restage
     * that finds everything up to date: one process staging needs no MPI. */
    if (o.mode == MODE_STAGE_ONLY && !under_mpi_launcher()) {
        int status = stage_only_main(MPI_COMM_NULL, &o, &e);
        return e.status ? fail(0, &e) : status;
    }

    int rank = 0;
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    int status = o.mode == MODE_STAGE_ONLY ? stage_only_main(MPI_COMM_WORLD, &o, &e)
                                           : run_benchmark(MPI_COMM_WORLD, &o, &e);
    if (e.status)
        status = fail(rank, &e);
    /* mpirun kills the job when the first rank exits non-zero: nobody
     * leaves before rank 0 has said why. */
    fflush(stderr);
    MPI_Barrier(MPI_COMM_WORLD);
    MPI_Finalize();
    return status;
}
