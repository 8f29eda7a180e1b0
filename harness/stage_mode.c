/* stage_mode.c: --stage-only and the staging step of a run: rank 0
 * stages the machine's venv to the filesystem while the others wait. */
#include <mpi.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "modes.h"
#include "report.h"
#include "run.h"
#include "stage.h"

static int stage_rank0(const struct machine_conf *m, const struct fs_conf *fs, const struct options *o,
                       json_object **staging, struct err *e)
{
    struct stage_opts so = {
        .source = m->venv,
        .target = fs->path,
        .delete_extra = o->delete_extra,
        .progress = !o->quiet && isatty(STDOUT_FILENO) ? stdout : NULL,
        .log = o->quiet ? NULL : stderr,
        .lock_timeout = fs->lock_timeout,
    };
    struct stage_stats st;
    if (stage_tree(&so, &st, e) < 0)
        return err_wrap(e, "staging filesystem '%s': ", fs->name);
    *staging = stage_stats_json(&st);
    return 0;
}

/* COMM is MPI_COMM_NULL when one process runs without MPI. */
static int stage_collective(MPI_Comm comm, const struct machine_conf *m, const struct fs_conf *fs,
                            const struct options *o, json_object **staging, struct err *e)
{
    int rank = 0;
    *staging = NULL;
    if (comm != MPI_COMM_NULL)
        MPI_Comm_rank(comm, &rank);
    if (rank == 0)
        stage_rank0(m, fs, o, staging, e);
    if (comm == MPI_COMM_NULL)
        return e->status ? -1 : 0;
    run_quiet_barrier(comm);
    return run_agree(comm, e);
}

int stage_for_run(MPI_Comm comm, const struct config *conf, const struct machine_conf *m,
                  const struct fs_conf *fs, const struct options *o, json_object **staging, struct err *e)
{
    (void)conf;
    return stage_collective(comm, m, fs, o, staging, e);
}

static int load_config(MPI_Comm comm, const char *path, struct config *conf, struct err *e)
{
    if (comm != MPI_COMM_NULL)
        return run_load_config(comm, path, conf, e);
    return config_load(path, conf, e);
}

static int find_target(const struct config *conf, const struct options *o, const struct machine_conf **m,
                       const struct fs_conf **fs, struct err *e)
{
    *m = config_machine(conf, o->machine, e);
    *fs = *m ? config_fs(conf, *m, o->filesystem, e) : NULL;
    if (!*fs)
        return -1;
    if ((*fs)->kind != FS_STAGED)
        return err_set(e, EXIT_USAGE, "%s:%d: filesystem '%s' is %s (kind %s): there is nothing to stage", conf->path,
                       (*fs)->line, (*fs)->name,
                       (*fs)->kind == FS_INPLACE ? "used in place" : "broadcast at run time", fs_kind_name((*fs)->kind));
    return 0;
}

/* Rank 0: the statistics like rsync --stats, and --json if asked. */
static int output(json_object *staging, const struct options *o, struct err *e)
{
    int json_stdout = o->json && strcmp(o->json, "-") == 0;
    if (!o->quiet)
        report_staging_text(staging, json_stdout ? stderr : stdout);
    return o->json ? report_json_write(staging, o->json, e) : 0;
}

int stage_only_main(MPI_Comm comm, const struct options *o, struct err *e)
{
    struct config conf;
    const struct machine_conf *m;
    const struct fs_conf *fs;
    json_object *staging = NULL;
    int rank = 0;
    if (comm != MPI_COMM_NULL)
        MPI_Comm_rank(comm, &rank);
    if (load_config(comm, o->config, &conf, e) < 0)
        return e->status;
    if (find_target(&conf, o, &m, &fs, e) == 0 && stage_collective(comm, m, fs, o, &staging, e) == 0 && rank == 0)
        output(staging, o, e);
    if (staging)
        json_object_put(staging);
    config_free(&conf);
    if (comm != MPI_COMM_NULL)
        run_agree(comm, e);
    return e->status;
}
