/* config_collective.h: the config read once and shared by MPI, so that
 * 4,800 ranks do not each open the file on a shared filesystem. */
#ifndef CONFIG_COLLECTIVE_H
#define CONFIG_COLLECTIVE_H

#include <mpi.h>

#include "config/config.h"

/* Rank 0 reads PATH and broadcasts its text; every rank parses the same
 * text. On a failure every rank holds the same E. Collective. */
int config_load_collective(MPI_Comm comm, const char *path, struct config *conf, struct err *e);

#endif
