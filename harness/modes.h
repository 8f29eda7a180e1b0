/* modes.h: the harness's modes, one row each: the flag that selects it,
 * whether it runs under MPI, and its entry point. cli.c and main.c read it. */
#ifndef MODES_H
#define MODES_H

#include <mpi.h>

#include "base/err.h"
#include "cli.h"

enum mode_mpi {
    MODE_SERIAL,             /* on a login or batch node: never starts MPI */
    MODE_MPI,                /* under a launcher: MPI_Init, collective over the world */
    MODE_MPI_IF_LAUNCHED,    /* MPI only when started by a launcher, else one process */
};

struct mode_row {
    enum mode mode;
    const char *flag;        /* its long option without "--"; NULL: the default (the run) */
    enum mode_mpi mpi;
    /* COMM: MPI_COMM_WORLD, or MPI_COMM_NULL without MPI. Returns the
     * exit status; E set when it failed. */
    int (*main)(MPI_Comm comm, const struct options *o, struct err *e);
};

/* Every mode, ended by a row with no main. */
extern const struct mode_row mode_rows[];
const struct mode_row *mode_row_of(enum mode m);

#endif
