/* server_probe.h: the filesystem's probe around the import phase: run by
 * one leader per node (or rank 0 alone), differenced, summed on rank 0. */
#ifndef SERVER_PROBE_H
#define SERVER_PROBE_H

#include <mpi.h>

#include "base/counters.h"
#include "fs/fs_kind.h"
#include "result/result.h"

struct server_probe {
    const struct probe_conf *conf; /* NULL: no probe, every call does nothing */
    MPI_Comm probers;        /* the ranks that run it; MPI_COMM_NULL on the others */
    struct counters before;  /* this rank's last reading before an import phase */
    struct counters acc;     /* its growth over the import phases so far */
    int failed;              /* a reading failed: no further ones */
    char reason[400];
};

/* Chooses the ranks that probe (the first rank of each machine, or rank 0
 * with probe_scope "job"). CONF->command NULL: no probe. Collective. */
void server_probe_init(MPI_Comm comm, const struct probe_conf *conf, struct server_probe *p);
/* The readings just before an import phase's first barrier and just after
 * its second, on the ranks that probe; the others return at once. Never
 * fail the run: a failed reading is kept as the reason. */
void server_probe_before(struct server_probe *p);
void server_probe_after(struct server_probe *p);
/* Every prober's growth to rank 0, summed by name into OUT there.
 * Collective over COMM (only the probers exchange anything). */
void server_probe_collect(struct server_probe *p, struct server_ops *out);
void server_probe_free(struct server_probe *p);

#endif
