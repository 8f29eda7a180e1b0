/* fs_bcast.c: the kind `bcast`: node and leader communicators, the manifest
 * from rank 0, each node's survey merged into one decision per file, the
 * transfers, the finish, and the agreement of every rank. */
#include "fs/fs.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs/fs_bcast.h"
#include "base/clock.h"
#include "base/collective.h"
#include "base/nodes.h"

int bcast_agree(struct bcast_run *b)
{
    return coll_agree(b->leaders, b->e);
}

int bcast_node_failed(struct bcast_run *b)
{
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    return err_wrap(b->e, "bcast: node %d (host %s): ", b->rank, host);
}

/* Rank 0 walks the source once; every leader gets the manifest. */
static int share_manifest(struct bcast_run *b, const char *source)
{
    long long len = -1;
    char *buf = NULL;
    if (b->rank == 0 && tree_manifest_walk(source, &b->man, b->e) == 0 &&
        bcast_source_open(&b->src, &b->man, b->e) == 0) {
        size_t n;
        buf = tree_manifest_pack(&b->man, &n);
        if (n > INT_MAX)
            err_set(b->e, EXIT_RUNTIME, "the manifest of %s is too large to broadcast (%zu bytes)", source, n);
        else
            len = (long long)n;
    }
    if ((len = coll_bcast_blob(b->leaders, 0, &buf, len)) < 0) {
        free(buf);
        return bcast_agree(b);
    }
    if (b->rank != 0 && tree_manifest_unpack(buf, (size_t)len, &b->man, b->e) < 0)
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
        int file = b->man.v[i].type == TREE_FILE;
        b->decision[i] = !file                         ? BCAST_NONE
                         : merged[i] & BCAST_MISSING ? BCAST_FULL
                         : merged[i] & BCAST_CHANGED ? BCAST_DELTA
                                                     : BCAST_NONE;
        b->st.up_to_date += merged[i] == BCAST_HAVE;
        b->st.full_files += b->decision[i] == BCAST_FULL;
        b->st.delta_files += b->decision[i] == BCAST_DELTA;
        b->st.remade += !file && merged[i] != BCAST_HAVE;
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

/* In the shape every kind shares: a directory or symlink some node had
 * to make or put right counts as copied, like a file sent whole. */
static void to_result(const struct bcast_stats *bs, double seconds, struct staging_result *st)
{
    *st = (struct staging_result){
        .done = 1,
        .kind = fs_kind_name(FS_BCAST),
        .seconds = seconds,
        .entries = bs->entries,
        .up_to_date = bs->up_to_date,
        .copied = bs->full_files + bs->remade,
        .delta_updated = bs->delta_files,
        .literal_bytes = bs->literal_bytes,
        .matched_bytes = bs->matched_bytes,
        /* What crossed between nodes: each other leader received it. */
        .bytes_sent = bs->bytes_sent * (bs->leaders - 1),
        .bytes_uncompressed = bs->bytes_uncompressed,
        .bytes_compressed = bs->bytes_compressed,
        .compress_level = bs->level,
        .signature_bytes = bs->signature_bytes,
        .leaders = bs->leaders,
    };
}

static void release(struct bcast_run *b)
{
    bcast_local_close(b->local);
    if (b->rank == 0 && b->src.m)
        bcast_source_close(&b->src);
    tree_manifest_free(&b->man);
    free(b->status);
    free(b->decision);
    MPI_Comm_free(&b->leaders);
}

int fs_bcast_warm(const struct fs_run *f, const struct staging_result *st, char *const *argv, char *const *envp,
                  double timeout, struct err *e)
{
    (void)st;
    return fs_warm_other_nodes(f->comm, f->o->ranks_per_node, f->log, argv, envp, timeout, e);
}

int fs_bcast_prepare(const struct fs_run *f, char **venv, struct staging_result *st, struct err *e)
{
    int rank, local_rank;
    MPI_Comm node;
    struct bcast_run b = {.e = e, .src = {.root = -1, .fd = -1}};
    MPI_Comm_rank(f->comm, &rank);
    memset(st, 0, sizeof *st);
    *venv = nodes_dir(f->fs->path, f->o->ranks_per_node, rank);
    nodes_split(f->comm, f->o->ranks_per_node, &node);
    MPI_Comm_rank(node, &local_rank);
    MPI_Comm_free(&node);
    MPI_Comm_split(f->comm, local_rank == 0 ? 0 : MPI_UNDEFINED, rank, &b.leaders);

    MPI_Barrier(f->comm);
    double t0 = now_seconds();
    if (b.leaders != MPI_COMM_NULL) {
        MPI_Comm_rank(b.leaders, &b.rank);
        MPI_Comm_size(b.leaders, &b.st.leaders);
        b.level = b.st.level = f->fs->compress_level;
        lead(&b, f->m->venv, *venv, f->fs->lock_timeout, f->o->quiet ? NULL : stderr);
        release(&b);
    }
    /* The other ranks of a node sleep meanwhile: they would take the
     * cores its leader is writing with. */
    coll_quiet_barrier(f->comm);
    if (rank == 0)
        to_result(&b.st, now_seconds() - t0, st);
    if (coll_agree(f->comm, e) == 0)
        return 0;
    memset(st, 0, sizeof *st);
    return err_wrap(e, "filesystem '%s': ", f->fs->name);
}
