/* run.c: the benchmark's sequence on every rank. Collective throughout:
 * each step that may fail on one rank is agreed on before the next. */
#include "run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bcast.h"
#include "checks.h"
#include "childenv.h"
#include "importprof.h"
#include "modes.h"
#include "nodes.h"
#include "phase.h"
#include "report.h"
#include "suite.h"

int run_agree(MPI_Comm comm, struct err *e)
{
    int rank, size;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    int mine = e->status ? rank : size, first;
    MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, comm);
    if (first == size)
        return 0;
    MPI_Bcast(e, (int)sizeof *e, MPI_BYTE, first, comm);
    return -1;
}

void run_quiet_barrier(MPI_Comm comm)
{
    MPI_Request req;
    int done = 0;
    MPI_Ibarrier(comm, &req);
    while (MPI_Test(&req, &done, MPI_STATUS_IGNORE), !done)
        nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
}

int run_load_config(MPI_Comm comm, const char *path, struct config *conf, struct err *e)
{
    int rank;
    long len = 0;
    char *text = NULL;
    MPI_Comm_rank(comm, &rank);
    if (rank == 0) {
        text = config_slurp(path, e);
        len = text ? (long)strlen(text) : -1;
    }
    MPI_Bcast(&len, 1, MPI_LONG, 0, comm);
    if (len < 0)
        return run_agree(comm, e);
    if (rank != 0)
        text = malloc((size_t)len + 1);
    MPI_Bcast(text, (int)len + 1, MPI_CHAR, 0, comm);
    config_parse(text, path, conf, e);
    free(text);
    return run_agree(comm, e);
}

static void utc_now(char *buf, size_t n)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Until the venv is there, a run can only fail; say how to fix it. */
static int check_venv_present(const struct fs_conf *fs, const char *venv, struct err *e)
{
    char python[4096];
    snprintf(python, sizeof python, "%s/bin/python", venv);
    if (access(python, X_OK) == 0)
        return 0;
    if (fs->kind == FS_INPLACE)
        return err_set(e, EXIT_SETUP,
                       "filesystem '%s': no virtualenv at %s (build it with jobs/build-virtualenv.sh %s)",
                       fs->name, fs->path, fs->path);
    return err_set(e, EXIT_SETUP,
                   "filesystem '%s' (%s): no staged virtualenv at %s: stage it first with harness --stage-only",
                   fs->name, fs_kind_name(fs->kind), venv);
}

struct run_ctx {
    MPI_Comm comm;
    int rank, size;
    const struct options *o;
    const struct machine_conf *m;
    const struct fs_conf *fs;
    const char *venv;    /* this rank's venv: the node's own copy for bcast */
    int node_copies;     /* staged: nodes holding a copy of their own (node-local path) */
    const char *stmt;
    double timeout;
    FILE *log;           /* progress on rank 0, NULL elsewhere or with --quiet */
};

static int prepare(struct run_ctx *c, struct child_cmd *cmd, struct run_result *r, struct err *e)
{
    if (c->rank == 0)
        check_venv_present(c->fs, c->venv, e);
    if (run_agree(c->comm, e) < 0)
        return -1;
    child_cmd_init(cmd, c->venv, c->stmt, c->o->child, e);
    if (run_agree(c->comm, e) < 0)
        return -1;
    if (c->rank == 0 && !c->o->skip_checks) {
        if (c->log)
            fprintf(c->log, "harness: set-up checks in one process (%s)\n", c->venv);
        checks_run(cmd, c->venv, c->stmt, c->timeout, &r->setup, c->log, e);
    }
    if (run_agree(c->comm, e) < 0)
        return -1;
    /* Only node-local copies: on a shared path it would warm the other
     * nodes' caches before the measurement. */
    int per_node = c->fs->kind == FS_BCAST || c->node_copies > 1;
    if (!per_node || c->o->skip_checks)
        return 0;
    if (c->log)
        fprintf(c->log, "harness: warm-up import on each other node's copy\n");
    return bcast_warm_nodes(c->comm, c->fs->kind == FS_BCAST ? c->o->ranks_per_node : 0, cmd->argv_import,
                            cmd->envp, c->timeout, e);
}

/* One repeat: both phases, start-up first, each between two barriers. */
static int one_repeat(struct run_ctx *c, struct spawn_job jobs[NPHASES], struct rank_record *mine,
                      char *errtext[NPHASES], double elapsed[NPHASES], struct err *e)
{
    static const enum phase_id order[NPHASES] = {PHASE_STARTUP, PHASE_IMPORT};
    for (int i = 0; i < NPHASES; i++) {
        enum phase_id id = order[i];
        if (id == PHASE_STARTUP && c->o->no_startup)
            continue;
        struct child_result res;
        char *text = NULL;
        if (c->log)
            fprintf(c->log, "harness: timing %s on %d ranks\n",
                    id == PHASE_IMPORT ? (c->o->child ? c->o->child : c->stmt) : "python -c pass (start-up)",
                    c->size);
        phase_run(c->comm, &jobs[id], c->timeout, &res, &text, &elapsed[id], e);
        if (run_agree(c->comm, e) < 0) {
            free(text);
            return -1;
        }
        /* The first failure's stderr is the one worth showing. */
        if (!errtext[id])
            errtext[id] = text;
        else
            free(text);
        mine->seconds[id] = res.seconds;
        mine->status[id] = (int32_t)res.status;
        mine->exit_code[id] = res.exit_code;
    }
    return 0;
}

static int timed_phases(struct run_ctx *c, const struct child_cmd *cmd, struct run_result *r, struct err *e)
{
    int reps = c->o->repeat > 0 ? c->o->repeat : 1;
    struct rank_record mine = {0};
    char *errtext[NPHASES] = {0};
    double *elapsed = calloc((size_t)reps * NPHASES, sizeof *elapsed);
    struct rank_record *all = c->rank == 0 ? calloc((size_t)c->size * (size_t)reps, sizeof *all) : NULL;

    gethostname(mine.host, sizeof mine.host - 1);
    if (c->rank == 0)
        utc_now(r->started_at, sizeof r->started_at);
    /* Prepared once for all repeats: between two timed spawns the harness
     * does as little as it can. */
    struct spawn_job jobs[NPHASES];
    char *const *argv[NPHASES] = {cmd->argv_import, cmd->argv_startup};
    int prepared = 0;
    for (; prepared < NPHASES && spawn_prepare(&jobs[prepared], argv[prepared], cmd->envp, 0, e) == 0; prepared++)
        ;
    int failed_here[NPHASES] = {0};
    for (int rep = 0; run_agree(c->comm, e) == 0 && rep < reps; rep++) {
        if (one_repeat(c, jobs, &mine, errtext, elapsed + rep * NPHASES, e) < 0)
            break;
        for (int id = 0; id < NPHASES; id++)
            failed_here[id] |= mine.status[id] != CHILD_OK;
        gather_records(c->comm, &mine, all ? all + (size_t)rep * (size_t)c->size : NULL);
    }
    for (int id = 0; id < NPHASES && !e->status; id++) {
        if (id == PHASE_STARTUP && c->o->no_startup)
            continue;
        double *el = malloc((size_t)reps * sizeof *el);
        for (int rep = 0; rep < reps; rep++)
            el[rep] = elapsed[rep * NPHASES + id];
        phase_summarize(c->comm, id, failed_here[id], all, reps, errtext[id], el, &r->phase[id]);
        free(el);
    }
    r->repeats = reps;
    for (int i = 0; i < prepared; i++)
        spawn_release(&jobs[i]);
    for (int id = 0; id < NPHASES; id++)
        free(errtext[id]);
    free(all);
    free(elapsed);
    return e->status ? -1 : 0;
}

/* A phase of its own, after the timed ones: -X importtime writes to
 * stderr as it goes and would add its cost to the headline figure. */
static int profile_phase(struct run_ctx *c, const struct child_cmd *cmd, struct run_result *r, struct err *e)
{
    struct child_result res;
    char *text = NULL;
    double elapsed;
    if (c->log)
        fprintf(c->log, "harness: profiling %s with -X importtime on %d ranks\n", c->stmt, c->size);
    struct spawn_job job;
    if (spawn_prepare(&job, cmd->argv_profile, cmd->envp, 0, e) == 0) {
        phase_run_capture(c->comm, &job, c->timeout, &res, &text, 1 << 22, &elapsed, e);
        spawn_release(&job);
    }
    if (run_agree(c->comm, e) < 0) {
        free(text);
        return -1;
    }
    struct prof mine;
    importprof_parse(res.status == CHILD_OK && text ? text : "", &mine);
    r->import_profile = importprof_aggregate(c->comm, &mine, IMPORTPROF_TOP);
    importprof_free(&mine);
    free(text);
    return 0;
}

/* Rank 0: the table, the JSON file, then the database (or its spool). */
static int output(const struct run_ctx *c, const struct config *conf, const struct run_result *r, struct err *e)
{
    int json_stdout = c->o->json && strcmp(c->o->json, "-") == 0;
    report_text(r, json_stdout ? stderr : stdout);
    fflush(stdout);
    json_object *obj = report_json(r);
    int rc = c->o->json ? report_json_write(obj, c->o->json, e) : 0;
    if (rc == 0)
        rc = results_record(conf, c->o, obj, e);
    json_object_put(obj);
    return rc;
}

static void describe(struct run_ctx *c, struct run_result *r)
{
    const char *job = getenv("SLURM_JOB_ID"), *nn = getenv("SLURM_JOB_NUM_NODES");
    r->machine = c->m->name;
    r->filesystem = c->fs->name;
    r->fs_kind = fs_kind_name(c->fs->kind);
    r->import_stmt = c->o->child ? c->o->child : c->stmt;
    r->venv = c->fs->path;
    r->ranks = c->size;
    snprintf(r->job_id, sizeof r->job_id, "%s", job ? job : "");
    r->slurm_nodes = nn ? atoi(nn) : 0;
}

int run_benchmark(MPI_Comm comm, const struct options *o, struct err *e)
{
    struct config conf;
    struct run_ctx c = {.comm = comm, .o = o};
    MPI_Comm_rank(comm, &c.rank);
    MPI_Comm_size(comm, &c.size);
    c.log = c.rank == 0 && !o->quiet ? stderr : NULL;
    if (run_load_config(comm, o->config, &conf, e) < 0)
        return e->status;

    struct run_result *r = calloc(1, sizeof *r);
    struct child_cmd cmd = {0};
    char *node_venv = NULL;
    int status = EXIT_RUNTIME;
    c.m = config_machine(&conf, o->machine, e);
    c.fs = c.m ? config_fs(&conf, c.m, o->filesystem, e) : NULL;
    if (e->status)
        goto out;
    struct suite_choice suite;
    if (suite_choose(&conf, c.m, o, &suite, e) < 0)
        goto out;
    c.stmt = suite.stmt;
    r->suite = suite.name;
    c.timeout = o->timeout > 0 ? o->timeout : c.m->timeout;
    describe(&c, r);
    r->nodes = count_nodes(comm, o->ranks_per_node);

    if (c.fs->kind == FS_STAGED && stage_for_run(comm, &conf, c.m, c.fs, o, &r->staging, &c.node_copies, e) < 0)
        goto out;
    if (c.fs->kind == FS_BCAST && bcast_for_run(comm, c.m, c.fs, o, &node_venv, &r->staging, e) < 0)
        goto out;
    c.venv = r->venv = node_venv ? node_venv : c.fs->path;
    if (prepare(&c, &cmd, r, e) < 0 || timed_phases(&c, &cmd, r, e) < 0)
        goto out;
    if (o->profile_imports && !o->child && profile_phase(&c, &cmd, r, e) < 0)
        goto out;
    status = EXIT_ALL_OK;
    if (c.rank == 0) {
        const struct phase_summary *imp = &r->phase[PHASE_IMPORT], *st = &r->phase[PHASE_STARTUP];
        if (imp->failed || imp->timed_out || st->failed || st->timed_out)
            status = EXIT_RANKS_FAILED;
        if (output(&c, &conf, r, e) < 0)
            status = e->status;
    }
    MPI_Bcast(&status, 1, MPI_INT, 0, comm);
out:
    child_cmd_free(&cmd);
    free(node_venv);
    if (r->staging)
        json_object_put(r->staging);
    if (r->import_profile)
        json_object_put(r->import_profile);
    free(r);
    config_free(&conf);
    return e->status ? e->status : status;
}
