/* bcast_ctx.h: one broadcast's state shared by its steps (bcast.c, the
 * whole files of bcast_full.c, the deltas of bcast_delta.c). */
#ifndef BCAST_CTX_H
#define BCAST_CTX_H

#include <mpi.h>

#include "bcast_tree.h"
#include "err.h"

/* What rank 0 tells every leader to expect for each entry. */
enum bcast_decision { BCAST_NONE = 0, BCAST_FULL = 1, BCAST_DELTA = 2 };

/* Rank 0's figures, turned into a staging_result at the end. */
struct bcast_stats {
    long long entries, up_to_date, full_files, delta_files;
    long long remade;          /* directories and symlinks some node made or put right */
    long long bytes_sent;      /* manifest, decisions, whole files (once), deltas */
    long long signature_bytes; /* from the leaders to rank 0 */
    long long literal_bytes, matched_bytes; /* of the deltas */
    int leaders;
};

/* Only on leader ranks: everything below is collective over LEADERS. */
struct bcast_run {
    MPI_Comm leaders;          /* one rank per node; rank 0 of the job is leader 0 */
    int rank;                  /* in LEADERS: the node's number */
    struct bcast_manifest man;
    unsigned char *status;     /* this node's BCAST_HAVE/MISSING/CHANGED per entry */
    unsigned char *decision;   /* enum bcast_decision per entry */
    struct bcast_local *local; /* this node's copy */
    struct bcast_source src;   /* rank 0: the source */
    int read_failed;           /* rank 0: the source failed mid-broadcast */
    struct bcast_stats st;     /* rank 0 */
    struct err *e;
};

/* Every leader ends up with the first error any leader met. */
int bcast_agree(struct bcast_run *b);
/* After a failure of this node's copy: the error names its host. -1. */
int bcast_node_failed(struct bcast_run *b);

/* bcast_full.c: the files some node lacks, read once, broadcast in chunks. */
int bcast_full_files(struct bcast_run *b);
/* bcast_delta.c: the files nodes hold another version of: signatures in,
 * deltas out, patched in place. */
int bcast_delta_files(struct bcast_run *b);

#endif
