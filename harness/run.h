/* run.h: the benchmark run (the default mode): config shared by broadcast,
 * set-up checks on rank 0, the two timed phases, the gather, the report. */
#ifndef RUN_H
#define RUN_H

#include <mpi.h>

#include "cli.h"
#include "config.h"
#include "err.h"

/* Reads the config on rank 0 and broadcasts it, so 4,800 ranks do not each
 * open the file; every rank then parses the same text. Collective. */
int run_load_config(MPI_Comm comm, const char *path, struct config *conf, struct err *e);
/* Makes every rank of COMM agree on the first error any rank met: after
 * it, all ranks hold the same status and message. Collective. */
int run_agree(MPI_Comm comm, struct err *e);
/* A barrier the waiting ranks do not spin in: on a node's few cores they
 * would take the CPU from the ranks that are copying. Collective. */
void run_quiet_barrier(MPI_Comm comm);
/* The benchmark. Returns an exit status (enum exit_status); on a fault E
 * holds the message on every rank. Collective over COMM. */
int run_benchmark(MPI_Comm comm, const struct options *o, struct err *e);

#endif
