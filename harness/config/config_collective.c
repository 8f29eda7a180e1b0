/* config_collective.c: rank 0 reads the config file, every rank parses
 * the broadcast text; kept apart so that serial modes link no MPI. */
#include "config/config_collective.h"

#include <stdlib.h>
#include <string.h>

#include "base/collective.h"

int config_load_collective(MPI_Comm comm, const char *path, struct config *conf, struct err *e)
{
    int rank;
    long long len = -1;
    char *text = NULL;
    MPI_Comm_rank(comm, &rank);
    if (rank == 0) {
        text = config_slurp(path, e);
        len = text ? (long long)strlen(text) : -1;
    }
    if (coll_bcast_blob(comm, 0, &text, len) < 0)
        return coll_agree(comm, e);
    config_parse(text, path, conf, e);
    free(text);
    return coll_agree(comm, e);
}
