/* fs_staged.c: the kind `staged`: rank 0 stages the machine's venv into
 * the filesystem's path with the librsync stager while the others wait;
 * a node that cannot see that copy (a node-local path) stages its own. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/collective.h"
#include "fs/fs.h"
#include "../staging/stage.h"
#include "fs/fs_staged.h"

extern const struct fs_kind fs_kind_staged;

static void from_stage(const struct stage_stats *s, struct staging_result *st)
{
    *st = (struct staging_result){
        .done = 1,
        .kind = &fs_kind_staged,
        .seconds = s->seconds,
        .entries = s->entries,
        .up_to_date = s->up_to_date,
        .copied = s->copied,
        .delta_updated = s->delta_updated,
        .deleted = s->deleted,
        .literal_bytes = s->literal_bytes,
        .matched_bytes = s->matched_bytes,
        .bytes_sent = s->literal_bytes,
        .leaders = 1,
        .waited_for_lock = s->waited_for_lock,
        .lock_wait_s = s->lock_wait_seconds,
    };
}

static struct stage_opts stage_options(const struct fs_run *f)
{
    return (struct stage_opts){
        .source = f->source,
        .target = f->fs->path,
        .delete_extra = f->delete_extra,
        .progress = f->log && isatty(STDOUT_FILENO) ? stdout : NULL,
        .log = f->log,
        .lock_timeout = f->fs->lock_timeout,
    };
}

static int stage_here(const struct stage_opts *so, const struct fs_conf *fs, struct staging_result *st,
                      struct err *e)
{
    struct stage_stats s;
    if (stage_tree(so, &s, e) < 0)
        return err_wrap(e, "staging filesystem '%s': ", fs->name);
    from_stage(&s, st);
    return 0;
}

/* Rank 0 stages while the others wait, then every other node that cannot
 * see rank 0's copy (a node-local path: fs_staged_nodes.c) stages its own;
 * ST on rank 0, ST->leaders (the copies) on every rank. --stage-only and
 * a staged run both go this way. */
static int stage(const struct fs_run *f, struct staging_result *st, struct err *e)
{
    int rank = 0, copies = 1;
    MPI_Comm comm = f->comm;
    const struct fs_conf *fs = f->fs;
    struct stage_opts so = stage_options(f);
    double t0 = now_seconds();
    memset(st, 0, sizeof *st);
    st->leaders = 1;
    if (comm != MPI_COMM_NULL)
        MPI_Comm_rank(comm, &rank);
    if (rank == 0)
        stage_here(&so, fs, st, e);
    if (comm == MPI_COMM_NULL)
        return e->status ? -1 : 0;
    coll_quiet_barrier(comm);
    if (coll_agree(comm, e) < 0)
        return -1;
    so.progress = NULL;
    if (stage_other_nodes(comm, &so, &copies, e) < 0)
        return err_wrap(e, "filesystem '%s': ", fs->name);
    st->leaders = copies;
    /* Several copies: what the job waited for is the last node's stage. */
    if (rank == 0 && copies > 1)
        st->seconds = now_seconds() - t0;
    return 0;
}

static int prepare(const struct fs_run *f, char **venv, struct staging_result *st, struct err *e)
{
    *venv = strdup(f->fs->path);
    return stage(f, st, e);
}

/* Only node-local copies: on a shared path the warm-up would fill the
 * other nodes' caches before the measurement. */
static int warm(const struct fs_run *f, const struct staging_result *st, char *const *argv, char *const *envp,
                double timeout, struct err *e)
{
    if (st->leaders <= 1)
        return 0;
    return fs_warm_other_nodes(f, 0, argv, envp, timeout, e);
}

const struct fs_kind fs_kind_staged = {
    .name = "staged",
    .how = "staged before the run",
    .path_required = 1,
    .checks_step = 1,
    .is_default = 1,          /* the seed's way */
    .missing_hint = "stage it first with harness --stage-only (it stages to %s)",
    .ops = {.prepare = prepare, .warm = warm, .stage = stage},
};
