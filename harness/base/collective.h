/* collective.h: the MPI helpers every collective step uses: agreeing on
 * the first error, a barrier that does not spin, broadcasting a blob. */
#ifndef COLLECTIVE_H
#define COLLECTIVE_H

#include <mpi.h>
#include <stddef.h>

#include "base/err.h"

/* Makes every rank of COMM agree on the first error any rank met: after
 * it, all ranks hold the same status and message. Returns 0 when no rank
 * failed, else -1. Collective. */
int coll_agree(MPI_Comm comm, struct err *e);
/* MPI_Wait without the spin: MPI_Test between naps of at most MAX_NAP_US,
 * so that a rank waiting leaves its core to the node's other work (on a
 * node whose ranks outnumber its cores, a spinning rank slows the very
 * copy or import it waits for). Progress is made only at each test: the
 * nap bounds the delay a forwarding rank adds. */
void coll_quiet_wait(MPI_Request *req, long max_nap_us);
/* A barrier the waiting ranks do not spin in: on a node's few cores they
 * would take the CPU from the ranks that are copying. Collective. */
void coll_quiet_barrier(MPI_Comm comm);
/* ROOT's *BUF (*LEN bytes; *LEN < 0: ROOT failed, nothing follows) to
 * every rank: the length first, then the bytes, into a new buffer on the
 * others (one spare NUL byte after them). Returns *LEN as received.
 * Lengths past INT_MAX are ROOT's to refuse. Collective. */
long long coll_bcast_blob(MPI_Comm comm, int root, char **buf, long long len);

#endif
