/* bcast.h: the filesystem kind bcast: the venv broadcast with MPI from
 * rank 0 to one leader rank per node, which writes the node's own copy. */
#ifndef BCAST_H
#define BCAST_H

#include <json-c/json.h>
#include <mpi.h>

#include "cli.h"
#include "config.h"
#include "err.h"

/* Brings M's venv into each node's copy of FS (FS->path; with
 * --ranks-per-node, FS->path-node<k> for pretend node k). *VENV gets
 * this rank's copy (a new string, also on failure); *STAGING, on rank 0,
 * the statistics for the result. Collective over COMM: a failure on any
 * node reaches every rank, naming that node's host. */
int bcast_for_run(MPI_Comm comm, const struct machine_conf *m, const struct fs_conf *fs, const struct options *o,
                  char **venv, json_object **staging, struct err *e);

/* After rank 0's set-up checks, whose warm-up import wrote bytecode into
 * its own node's copy only: every other node's leader runs ARGV once in
 * its copy, so that the node's ranks do not all race to write bytecode
 * (the seed's reason for the warm-up). Its outcome is left to the timed
 * phase to see. Collective over COMM. */
int bcast_warm_nodes(MPI_Comm comm, int ranks_per_node, char *const *argv, char *const *envp, double timeout,
                     struct err *e);

#endif
