/* nodes.h: which ranks share a node: the shared-memory domains MPI
 * reports, or pretend nodes of --ranks-per-node consecutive ranks. */
#ifndef NODES_H
#define NODES_H

#include <mpi.h>

/* *NODE gets the ranks of COMM on this rank's node, ordered by rank:
 * with RANKS_PER_NODE > 0, ranks k*N .. k*N+N-1 form pretend node k
 * (tests on one machine); else MPI_COMM_TYPE_SHARED. Collective. */
void nodes_split(MPI_Comm comm, int ranks_per_node, MPI_Comm *node);
/* This rank's rank among its node's ranks (0: the node's leader), the
 * node as nodes_split makes it. Collective. */
int nodes_local_rank(MPI_Comm comm, int ranks_per_node);
/* PATH for this rank's node: PATH itself, or with pretend nodes (which
 * share one machine, so each needs a place of its own) PATH-node<k>. */
char *nodes_dir(const char *path, int ranks_per_node, int rank);
/* The number of distinct nodes in COMM, as nodes_split makes them. */
int count_nodes(MPI_Comm comm, int ranks_per_node);

#endif
