/* fs_staged.h: a staged filesystem on many nodes: the nodes that cannot
 * see rank 0's copy (a node-local path such as /dev/shm) stage their own. */
#ifndef FS_STAGED_H
#define FS_STAGED_H

#include <mpi.h>

#include "base/err.h"
#include "../staging/stage.h"

/* Written by rank 0 into the target's top directory after its stage: a
 * random token the leaders of the other nodes look for. */
#define STAGE_NODE_MARK_NAME ".mpi4py-import-stage.node"

/* After rank 0 staged SO->target: rank 0 marks its copy, and the leader of
 * every other node (MPI_COMM_TYPE_SHARED) that does not find that mark
 * stages SO into its own node's path. *COPIES gets, on every rank, the
 * number of nodes holding a copy of their own (1 on a shared path).
 * Collective over COMM; a failure names the node's host. */
int stage_other_nodes(MPI_Comm comm, const struct stage_opts *so, int *copies, struct err *e);

#endif
