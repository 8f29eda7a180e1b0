/* collective.c: agreement on errors, a quiet barrier and the broadcast of
 * a blob; the MPI utilities shared by the run, staging and the broadcast. */
#include "base/collective.h"

#include <stdlib.h>
#include <time.h>

int coll_agree(MPI_Comm comm, struct err *e)
{
    int rank, size;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    int mine = e->status ? rank : size, first;
    MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, comm);
    if (first == size)
        return 0;
    MPI_Bcast(e, (int)sizeof *e, MPI_BYTE, first, comm);
    return -1;
}

void coll_quiet_wait(MPI_Request *req, long max_nap_us)
{
    int done = 0;
    long nap = 20 < max_nap_us ? 20 : max_nap_us;
    /* Naps from 20 us up: a request that completes soon costs little
     * delay, a long wait little CPU. */
    while (MPI_Test(req, &done, MPI_STATUS_IGNORE), !done) {
        nanosleep(&(struct timespec){.tv_nsec = nap * 1000}, NULL);
        nap = nap * 2 < max_nap_us ? nap * 2 : max_nap_us;
    }
}

void coll_quiet_barrier(MPI_Comm comm)
{
    MPI_Request req;
    MPI_Ibarrier(comm, &req);
    coll_quiet_wait(&req, 1000);
}

long long coll_bcast_blob(MPI_Comm comm, int root, char **buf, long long len)
{
    int rank;
    MPI_Comm_rank(comm, &rank);
    MPI_Bcast(&len, 1, MPI_LONG_LONG, root, comm);
    if (len < 0)
        return len;
    if (rank != root) {
        *buf = malloc((size_t)len + 1);
        (*buf)[len] = '\0';
    }
    MPI_Bcast(*buf, (int)len, MPI_BYTE, root, comm);
    return len;
}
