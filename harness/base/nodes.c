/* nodes.c: which ranks share a node, real or pretend (--ranks-per-node):
 * the node count of a result, and the broadcast's node leaders. */
#include "base/nodes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void nodes_split(MPI_Comm comm, int ranks_per_node, MPI_Comm *node)
{
    int rank;
    MPI_Comm_rank(comm, &rank);
    if (ranks_per_node > 0)
        MPI_Comm_split(comm, rank / ranks_per_node, rank, node);
    else
        MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, node);
}

int nodes_local_rank(MPI_Comm comm, int ranks_per_node)
{
    MPI_Comm node;
    int local_rank;
    nodes_split(comm, ranks_per_node, &node);
    MPI_Comm_rank(node, &local_rank);
    MPI_Comm_free(&node);
    return local_rank;
}

int count_nodes(MPI_Comm comm, int ranks_per_node)
{
    int leader = nodes_local_rank(comm, ranks_per_node) == 0, leaders = 0;
    MPI_Allreduce(&leader, &leaders, 1, MPI_INT, MPI_SUM, comm);
    return leaders;
}

char *nodes_dir(const char *path, int ranks_per_node, int rank)
{
    if (ranks_per_node <= 0)
        return strdup(path);
    size_t n = strlen(path) + 32;
    char *dir = malloc(n);
    int len = snprintf(dir, n, "%s", path);
    while (len > 1 && dir[len - 1] == '/')
        dir[--len] = '\0';
    snprintf(dir + len, n - (size_t)len, "-node%d", rank / ranks_per_node);
    return dir;
}
