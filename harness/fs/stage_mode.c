/* stage_mode.c: --stage-only: the staging step alone, as a job's stage
 * step runs it (one process, no MPI) or under a launcher (rank 0 stages). */
#include <mpi.h>
#include <stdio.h>
#include <string.h>

#include "base/collective.h"
#include "config/config_collective.h"
#include "fs/fs.h"
#include "modes.h"
#include "output/render.h"

static int load_config(MPI_Comm comm, const char *path, struct config *conf, struct err *e)
{
    if (comm != MPI_COMM_NULL)
        return config_load_collective(comm, path, conf, e);
    return config_load(path, conf, e);
}

static int find_target(const struct config *conf, const struct options *o, const struct machine_conf **m,
                       const struct fs_conf **fs, struct err *e)
{
    *m = config_machine(conf, o->machine, e);
    *fs = *m ? config_fs(conf, *m, o->filesystem, e) : NULL;
    if (!*fs)
        return -1;
    const struct fs_kind_info *k = fs_kind_info((*fs)->kind);
    if (!k->stage_step)
        return err_set(e, EXIT_USAGE, "%s:%d: filesystem '%s' is %s (kind %s): there is nothing to stage", conf->path,
                       (*fs)->line, (*fs)->name, k->how, k->name);
    return 0;
}

/* An image is built, not staged: its mounts belong to the run. */
static int stage_kind(MPI_Comm comm, const struct machine_conf *m, const struct fs_conf *fs, const struct options *o,
                      struct staging_result *st, struct err *e)
{
    if (fs->kind == FS_IMAGE)
        return fs_image_stage(comm, fs, m->venv, o->quiet ? NULL : stderr, st, e);
    return fs_stage(comm, m, fs, o, st, e);
}

/* Rank 0: the statistics like rsync --stats, and --json if asked. */
static int output(const struct staging_result *st, const struct options *o, struct err *e)
{
    int json_stdout = o->json && strcmp(o->json, "-") == 0;
    if (!o->quiet)
        render_staging_text(st, json_stdout ? stderr : stdout);
    if (!o->json)
        return 0;
    json_object *obj = render_staging_json(st);
    int rc = render_json_write(obj, o->json, e);
    json_object_put(obj);
    return rc;
}

int stage_only_main(MPI_Comm comm, const struct options *o, struct err *e)
{
    struct config conf;
    const struct machine_conf *m;
    const struct fs_conf *fs;
    struct staging_result st;
    int rank = 0;
    if (comm != MPI_COMM_NULL)
        MPI_Comm_rank(comm, &rank);
    if (load_config(comm, o->config, &conf, e) < 0)
        return e->status;
    if (find_target(&conf, o, &m, &fs, e) == 0 && stage_kind(comm, m, fs, o, &st, e) == 0 && rank == 0)
        output(&st, o, e);
    config_free(&conf);
    if (comm != MPI_COMM_NULL)
        coll_agree(comm, e);
    return e->status;
}
