/* fs_staged.c: the kind `staged`: rank 0 stages the machine's venv into
 * the filesystem's path with the librsync stager while the others wait. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "collective.h"
#include "fs.h"
#include "stage.h"

static void from_stage(const struct stage_stats *s, struct staging_result *st)
{
    *st = (struct staging_result){
        .done = 1,
        .kind = fs_kind_name(FS_STAGED),
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

static int stage_here(const struct machine_conf *m, const struct fs_conf *fs, const struct options *o,
                      struct staging_result *st, struct err *e)
{
    struct stage_opts so = {
        .source = m->venv,
        .target = fs->path,
        .delete_extra = o->delete_extra,
        .progress = !o->quiet && isatty(STDOUT_FILENO) ? stdout : NULL,
        .log = o->quiet ? NULL : stderr,
    };
    struct stage_stats s;
    if (stage_tree(&so, &s, e) < 0)
        return err_wrap(e, "staging filesystem '%s': ", fs->name);
    from_stage(&s, st);
    return 0;
}

int fs_stage(MPI_Comm comm, const struct machine_conf *m, const struct fs_conf *fs, const struct options *o,
             struct staging_result *st, struct err *e)
{
    int rank = 0;
    memset(st, 0, sizeof *st);
    if (comm != MPI_COMM_NULL)
        MPI_Comm_rank(comm, &rank);
    if (rank == 0)
        stage_here(m, fs, o, st, e);
    if (comm == MPI_COMM_NULL)
        return e->status ? -1 : 0;
    coll_quiet_barrier(comm);
    return coll_agree(comm, e);
}

int fs_staged_prepare(const struct fs_run *f, char **venv, struct staging_result *st, struct err *e)
{
    *venv = strdup(f->fs->path);
    return fs_stage(f->comm, f->m, f->fs, f->o, st, e);
}
