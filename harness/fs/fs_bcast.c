/* fs_bcast.c: the kind `bcast`: node and leader communicators, the manifest
 * from rank 0, each node's survey merged into one decision per file, the
 * transfers, the finish, and the agreement of every rank. */
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs/fs_bcast.h"
#include "fs/fs_image.h"
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
    b->st.walked = 1;
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
        /* With the image unpacked, an entry every node holds came in it. */
        b->st.up_to_date += merged[i] == BCAST_HAVE && !b->packed;
        b->st.unpacked += merged[i] == BCAST_HAVE && b->packed;
        b->st.full_files += b->decision[i] == BCAST_FULL;
        b->st.delta_files += b->decision[i] == BCAST_DELTA;
        b->st.remade += !file && merged[i] != BCAST_HAVE;
        b->st.dirs += b->man.v[i].type == TREE_DIR;
    }
    free(merged);
    MPI_Bcast(b->decision, (int)n, MPI_UNSIGNED_CHAR, 0, b->leaders);
    b->st.entries = (long long)n;
    b->st.bytes_sent += (long long)n;
}

/* Rank 0, after the image's manifest spared the walk: the source opened
 * only if some node needs a file from it (whole or as a delta). */
static int open_source_if_needed(struct bcast_run *b)
{
    if (b->rank == 0 && !b->src.m && b->st.full_files + b->st.delta_files > 0 &&
        bcast_source_open(&b->src, &b->man, b->e) == 0)
        b->st.shared_opened++;
    return bcast_agree(b);
}

/* Which nodes have no copy at all: with a packed image, theirs is
 * unpacked from it; otherwise the first copy goes entry by entry. */
static int survey_nodes(struct bcast_run *b, const char *source, const char *packed, const char *dir)
{
    b->missing = bcast_copy_missing(dir);
    MPI_Allreduce(&b->missing, &b->nodes_missing, 1, MPI_INT, MPI_SUM, b->leaders);
    if (packed && bcast_packed(b, source, packed, dir) < 0)
        return -1;
    b->st.first_copy = !b->nodes_missing ? NULL : b->packed ? "packed" : "entries";
    b->st.check = b->packed || b->from_stamp ? "stamp" : "walk";
    if (b->packed || b->from_stamp)
        return 0;
    return share_manifest(b, source) < 0 ? -1 : bcast_agree(b);
}

static int lead(struct bcast_run *b, const struct fs_run *f, const char *dir)
{
    const char *source = f->source;
    double lock_timeout = f->fs->lock_timeout;
    FILE *log = f->log;
    if (survey_nodes(b, source, ((const struct bcast_opts *)f->fs->opts)->packed, dir) < 0)
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
    if (open_source_if_needed(b) < 0 || bcast_full_files(b) < 0 || bcast_delta_files(b) < 0)
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
        .kind = &fs_kind_bcast,
        .seconds = seconds,
        .entries = bs->entries,
        .up_to_date = bs->up_to_date,
        .copied = bs->full_files + bs->remade + bs->unpacked,
        .delta_updated = bs->delta_files,
        .literal_bytes = bs->literal_bytes,
        .matched_bytes = bs->matched_bytes,
        /* What crossed between nodes: each other leader received it. */
        .bytes_sent = bs->bytes_sent * (bs->leaders - 1) + bs->packed_between,
        .leaders = bs->leaders,
        /* Rank 0 alone reads the source: its walk opens each directory
         * (and the top), a file sent whole or as a delta is read whole. */
        .crossed = 1,
        .shared_bytes_read = bs->bytes_uncompressed + bs->literal_bytes + bs->matched_bytes + bs->shared_read,
        .shared_files_opened = (bs->walked ? 1 + bs->dirs : 0) + bs->full_files + bs->delta_files + bs->shared_opened,
        .bytes_between_nodes = bs->bytes_sent * (bs->leaders - 1) + bs->packed_between,
    };
    *bcast_figures(st) = (struct bcast_figures){
        .signature_bytes = bs->signature_bytes,
        .bytes_uncompressed = bs->bytes_uncompressed,
        .bytes_compressed = bs->bytes_compressed,
        .compress_level = bs->level,
        .first_copy = bs->first_copy,
        .check = bs->check,
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

static int prepare(const struct fs_run *f, char **venv, struct staging_result *st, struct err *e)
{
    int rank;
    struct bcast_run b = {.e = e, .src = {.root = -1, .fd = -1}};
    MPI_Comm_rank(f->comm, &rank);
    memset(st, 0, sizeof *st);
    *venv = nodes_dir(f->fs->path, f->ranks_per_node, rank);
    /* Before any copy is touched: a run still using them is waited for. */
    if (fs_hold_place(f, f->fs->path, e) < 0)
        return err_wrap(e, "filesystem '%s': ", f->fs->name);
    MPI_Comm_split(f->comm, fs_node_leader(f) ? 0 : MPI_UNDEFINED, rank, &b.leaders);

    MPI_Barrier(f->comm);
    double t0 = now_seconds();
    int opened = 1;
    if (b.leaders != MPI_COMM_NULL) {
        MPI_Comm_rank(b.leaders, &b.rank);
        MPI_Comm_size(b.leaders, &b.st.leaders);
        b.level = b.st.level = ((const struct bcast_opts *)f->fs->opts)->compress_level;
        lead(&b, f, *venv);
        opened = b.local != NULL;
        release(&b);
    }
    /* The other ranks of a node sleep meanwhile: they would take the
     * cores its leader is writing with. */
    coll_quiet_barrier(f->comm);
    /* The cleanup may remove the copies only if every node's was made or
     * accepted (marked, ours) by this run: never one the stager refused. */
    MPI_Allreduce(&opened, &f->hold->accepted, 1, MPI_INT, MPI_MIN, f->comm);
    if (rank == 0)
        to_result(&b.st, now_seconds() - t0, st);
    if (coll_agree(f->comm, e) == 0)
        return 0;
    memset(st, 0, sizeof *st);
    return err_wrap(e, "filesystem '%s': ", f->fs->name);
}

/* --stage-only and the jobs' stage step: the packed image built (or
 * found current) and stamped, by the image kind's own code. */
static int stage(const struct fs_run *f, struct staging_result *st, struct err *e)
{
    const char *packed = ((const struct bcast_opts *)f->fs->opts)->packed;
    struct image_figures fig = {0};
    struct image_io io = {0};
    int rank = 0;
    memset(st, 0, sizeof *st);
    if (f->comm != MPI_COMM_NULL)
        MPI_Comm_rank(f->comm, &rank);
    if (!packed || rank != 0)
        return 0;
    if (f->log)
        fprintf(f->log, "harness: the packed image %s of %s\n", packed, f->source);
    if (image_build(f->source, packed, f->fs->lock_timeout, f->log, 1, BCAST_PACKED_RECIPE, &fig, &io, e) < 0)
        return err_wrap(e, "filesystem '%s': packed: ", f->fs->name);
    *st = (struct staging_result){.done = 1, .kind = &fs_kind_bcast, .seconds = fig.build_s, .crossed = 1,
                                  .shared_bytes_read = io.bytes_read, .shared_files_opened = io.files_opened};
    return 0;
}

static void render_text(const struct staging_result *st, FILE *out)
{
    const struct bcast_figures *b = bcast_figures((struct staging_result *)st);
    fs_result_text_copies(st, out);
    fs_result_text_crossed(st, out);
    fprintf(out, "  bcast         %lld signature bytes back; whole files %lld bytes, %lld as sent (zstd level %d)\n",
            b->signature_bytes, b->bytes_uncompressed, b->bytes_compressed, b->compress_level);
    if (b->first_copy)
        fprintf(out, "  first copy    %s\n", b->first_copy);
    if (b->check)
        fprintf(out, "  source        its manifest by %s\n", b->check);
    if (b->cleanup)
        fprintf(out, "  cleanup       %s: %d cop%s removed at the end\n", b->cleanup, b->copies_removed,
                b->copies_removed == 1 ? "y" : "ies");
}

static json_object *render_json(const struct staging_result *st)
{
    const struct bcast_figures *b = bcast_figures((struct staging_result *)st);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "signature_bytes", json_object_new_int64(b->signature_bytes));
    json_object_object_add(o, "bytes_uncompressed", json_object_new_int64(b->bytes_uncompressed));
    json_object_object_add(o, "bytes_compressed", json_object_new_int64(b->bytes_compressed));
    json_object_object_add(o, "compress_level", json_object_new_int(b->compress_level));
    json_object_object_add(o, "cleanup", b->cleanup ? json_object_new_string(b->cleanup) : NULL);
    json_object_object_add(o, "copies_removed", b->cleanup ? json_object_new_int(b->copies_removed) : NULL);
    json_object_object_add(o, "first_copy", b->first_copy ? json_object_new_string(b->first_copy) : NULL);
    json_object_object_add(o, "check", b->check ? json_object_new_string(b->check) : NULL);
    return o;
}

/* compress_level's default: off, as measured (README, "Compression"):
 * level 1 sends 0.31 of the bytes but compresses at about 135 MB/s on
 * one core, slower than any HPC interconnect carries them; it pays on
 * links below about 100 MB/s. 19: zstd's highest level without its
 * --ultra memory cost. */
static const struct opt_spec options[] = {
    {.key = "cleanup", .type = OPT_WORD, .offset = offsetof(struct bcast_opts, cleanup),
     .dflt = BCAST_CLEANUP_NEVER, .words = bcast_cleanup_words},
    {.key = "compress_level", .type = OPT_INT, .offset = offsetof(struct bcast_opts, compress_level),
     .dflt = 0, .min = 0, .max = 19},
    {.key = "packed", .type = OPT_PATH, .offset = offsetof(struct bcast_opts, packed),
     .what = "the venv's squashfs image (its prep step's stamp beside it)"},
    {0},
};

const struct fs_kind fs_kind_bcast = {
    .name = "bcast",
    .how = "broadcast to each node at run time",
    .path_required = 1,
    .missing_hint = "the broadcast did not leave it at %s: see the run's staging messages",
    .options = options,
    .opts_size = sizeof(struct bcast_opts),
    .render_text = render_text,
    .render_json = render_json,
    .ops = {.prepare = prepare, .warm = fs_warm_each_node, .finish = fs_bcast_finish, .stage = stage},
};
