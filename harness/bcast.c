/* bcast.c: the broadcast's sequence: node and leader communicators, the
 * manifest from rank 0, each node's survey merged into one decision per
 * file, the transfers, the finish, and the agreement of every rank. */
#include "bcast.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bcast_ctx.h"
#include "nodes.h"
#include "run.h"
#include "spawn.h"

int bcast_agree(struct bcast_run *b)
{
    return run_agree(b->leaders, b->e);
}

int bcast_node_failed(struct bcast_run *b)
{
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    return err_wrap(b->e, "bcast: node %d (host %s): ", b->rank, host);
}

/* Pretend nodes share one machine, so each needs a directory of its own. */
static char *node_dir(const char *path, int ranks_per_node, int rank)
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

/* Rank 0 walks the source once; every leader gets the manifest. */
static int share_manifest(struct bcast_run *b, const char *source)
{
    long long len = -1;
    char *buf = NULL;
    if (b->rank == 0 && bcast_manifest_walk(source, &b->man, b->e) == 0 &&
        bcast_source_open(&b->src, &b->man, b->e) == 0) {
        size_t n;
        buf = bcast_manifest_pack(&b->man, &n);
        if (n > INT_MAX)
            err_set(b->e, EXIT_RUNTIME, "the manifest of %s is too large to broadcast (%zu bytes)", source, n);
        else
            len = (long long)n;
    }
    MPI_Bcast(&len, 1, MPI_LONG_LONG, 0, b->leaders);
    if (len < 0) {
        free(buf);
        return bcast_agree(b);
    }
    if (b->rank != 0)
        buf = malloc(len ? (size_t)len : 1);
    MPI_Bcast(buf, (int)len, MPI_BYTE, 0, b->leaders);
    if (b->rank != 0 && bcast_manifest_unpack(buf, (size_t)len, &b->man, b->e) < 0)
        bcast_node_failed(b);
    free(buf);
    b->st.bytes_sent += len;
    return 0;
}

/* Each file goes whole where any node lacks it, as a delta where some
 * node holds another version, nowhere where all are up to date. */
static void decide(struct bcast_run *b)
{
    size_t n = b->man.n;
    unsigned char *merged = b->rank == 0 ? calloc(n ? n : 1, 1) : NULL;
    MPI_Reduce(b->status, merged, (int)n, MPI_UNSIGNED_CHAR, MPI_BOR, 0, b->leaders);
    b->decision = calloc(n ? n : 1, 1);
    for (size_t i = 0; merged && i < n; i++) {
        int file = b->man.v[i].type == BCAST_FILE;
        b->decision[i] = !file                         ? BCAST_NONE
                         : merged[i] & BCAST_MISSING ? BCAST_FULL
                         : merged[i] & BCAST_CHANGED ? BCAST_DELTA
                                                     : BCAST_NONE;
        b->st.up_to_date += merged[i] == BCAST_HAVE;
        b->st.full_files += b->decision[i] == BCAST_FULL;
        b->st.delta_files += b->decision[i] == BCAST_DELTA;
    }
    free(merged);
    MPI_Bcast(b->decision, (int)n, MPI_UNSIGNED_CHAR, 0, b->leaders);
    b->st.entries = (long long)n;
    b->st.bytes_sent += (long long)n;
}

static int lead(struct bcast_run *b, const char *source, const char *dir, double lock_timeout, FILE *log)
{
    if (share_manifest(b, source) < 0 || bcast_agree(b) < 0)
        return -1;
    if (b->man.n > INT_MAX)
        return err_set(b->e, EXIT_RUNTIME, "%s has too many entries to broadcast (%zu)", source, b->man.n);
    b->status = calloc(b->man.n ? b->man.n : 1, 1);
    b->local = bcast_local_open(&b->man, dir, log, lock_timeout, b->e);
    if (!b->local || bcast_local_survey(b->local, b->status) < 0)
        bcast_node_failed(b);
    if (bcast_agree(b) < 0)
        return -1;
    decide(b);
    if (bcast_full_files(b) < 0 || bcast_delta_files(b) < 0)
        return -1;
    if (bcast_local_finish(b->local) < 0)
        bcast_node_failed(b);
    return bcast_agree(b);
}

static json_object *stats_json(const struct bcast_stats *st, double seconds)
{
    const struct {
        const char *key;
        long long v;
    } counts[] = {
        {"leaders", st->leaders},
        {"entries", st->entries},
        {"up_to_date", st->up_to_date},
        {"full_files", st->full_files},
        {"delta_files", st->delta_files},
        {"bytes_sent", st->bytes_sent},
        {"signature_bytes", st->signature_bytes},
        {"literal_bytes", st->literal_bytes},
        {"matched_bytes", st->matched_bytes},
    };
    json_object *o = json_object_new_object();
    json_object_object_add(o, "kind", json_object_new_string("bcast"));
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++)
        json_object_object_add(o, counts[i].key, json_object_new_int64(counts[i].v));
    json_object_object_add(o, "seconds", json_object_new_double(seconds));
    return o;
}

static void release(struct bcast_run *b)
{
    bcast_local_close(b->local);
    if (b->rank == 0 && b->src.m)
        bcast_source_close(&b->src);
    bcast_manifest_free(&b->man);
    free(b->status);
    free(b->decision);
    MPI_Comm_free(&b->leaders);
}

int bcast_warm_nodes(MPI_Comm comm, int ranks_per_node, char *const *argv, char *const *envp, double timeout,
                     struct err *e)
{
    int rank, local_rank;
    MPI_Comm node;
    MPI_Comm_rank(comm, &rank);
    nodes_split(comm, ranks_per_node, &node);
    MPI_Comm_rank(node, &local_rank);
    MPI_Comm_free(&node);
    struct spawn_job job;
    struct child_result res;
    if (local_rank == 0 && rank != 0 && spawn_prepare(&job, argv, envp, 0, e) == 0) {
        spawn_run(&job, timeout, &res, e);
        spawn_release(&job);
    }
    run_quiet_barrier(comm);
    return run_agree(comm, e);
}

int bcast_for_run(MPI_Comm comm, const struct machine_conf *m, const struct fs_conf *fs, const struct options *o,
                  char **venv, json_object **staging, struct err *e)
{
    int rank, local_rank;
    MPI_Comm node;
    struct bcast_run b = {.e = e, .src = {.root = -1, .fd = -1}};
    MPI_Comm_rank(comm, &rank);
    *staging = NULL;
    *venv = node_dir(fs->path, o->ranks_per_node, rank);
    nodes_split(comm, o->ranks_per_node, &node);
    MPI_Comm_rank(node, &local_rank);
    MPI_Comm_free(&node);
    MPI_Comm_split(comm, local_rank == 0 ? 0 : MPI_UNDEFINED, rank, &b.leaders);

    MPI_Barrier(comm);
    double t0 = now_seconds();
    if (b.leaders != MPI_COMM_NULL) {
        MPI_Comm_rank(b.leaders, &b.rank);
        MPI_Comm_size(b.leaders, &b.st.leaders);
        lead(&b, m->venv, *venv, fs->lock_timeout, o->quiet ? NULL : stderr);
        release(&b);
    }
    /* The other ranks of a node sleep meanwhile: they would take the
     * cores its leader is writing with. */
    run_quiet_barrier(comm);
    if (rank == 0 && !e->status)
        *staging = stats_json(&b.st, now_seconds() - t0);
    if (run_agree(comm, e) == 0)
        return 0;
    if (*staging)
        json_object_put(*staging);
    *staging = NULL;
    return err_wrap(e, "filesystem '%s': ", fs->name);
}
