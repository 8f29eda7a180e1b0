/* run.c: the benchmark's sequence on every rank. Collective throughout:
 * each step that may fail on one rank is agreed on before the next. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/collective.h"
#include "base/nodes.h"
#include "base/utf8.h"
#include "config/suite.h"
#include "fs/fs.h"
#include "run/checks.h"
#include "run/childenv.h"
#include "run/importprof.h"
#include "run/launch.h"
#include "run/phase.h"
#include "run/run.h"
#include "run/server_probe.h"
#include "run/target.h"

struct run_ctx {
    MPI_Comm comm;
    int rank, size;
    const struct run_opts *o;
    const struct machine_conf *m;
    const struct fs_conf *fs;
    const char *venv;    /* this rank's venv: the node's own copy for bcast */
    const char *stmt;
    double timeout;
    FILE *log;           /* progress on rank 0, NULL elsewhere or with --quiet */
    struct fs_run fsr;   /* what the filesystem kind's operations see */
    struct child_result first_import; /* the first repeat's import: its wall-clock stamps */
    int finished;        /* the kind's finish ran */
    struct fs_hold hold; /* what the kind's prepare took, for its finish */
    struct server_probe probe; /* the filesystem's probe, around each import phase */
};

/* The kind undoes what prepare did (a mount, node copies), once, also
 * after a failure: then the first error stays the one reported. */
static int finish_fs(struct run_ctx *c, const char *venv, struct run_result *r, struct err *e)
{
    if (c->finished || !venv)
        return 0;
    const struct fs_ops *ops = &c->fs->kind->ops;
    if (!ops->finish)
        return 0;
    c->finished = 1;
    if (!e->status)
        return ops->finish(&c->fsr, venv, &r->staging, e);
    struct err later = {0};
    if (ops->finish(&c->fsr, venv, &r->staging, &later) < 0 && c->rank == 0)
        fprintf(stderr, "harness: also: %s\n", later.msg);
    return -1;
}

static int prepare(struct run_ctx *c, struct child_cmd *cmd, struct run_result *r, struct err *e)
{
    /* Rank 0 alone: 4,800 ranks probing a shared filesystem before the
     * measurement would disturb it; other copies are warmed (and so
     * checked) by their own node's leader. */
    if (c->rank == 0)
        fs_check_venv(c->fs, c->venv, e);
    if (coll_agree(c->comm, e) < 0)
        return -1;
    child_cmd_init(cmd, c->venv, c->stmt, c->o->child, e);
    if (coll_agree(c->comm, e) < 0)
        return -1;
    const struct fs_ops *ops = &c->fs->kind->ops;
    char *pycache = ops->pycache_prefix ? ops->pycache_prefix(c->fs, c->venv) : NULL;
    if (pycache)
        child_cmd_add_env(cmd, "PYTHONPYCACHEPREFIX", pycache);
    free(pycache);
    if (c->rank == 0 && !c->o->skip_checks) {
        if (c->log)
            fprintf(c->log, "harness: set-up checks in one process (%s)\n", c->venv);
        checks_run(cmd, c->venv, c->stmt, c->timeout, &r->setup, c->log, e);
    }
    if (coll_agree(c->comm, e) < 0)
        return -1;
    if (!ops->warm || c->o->skip_checks)
        return 0;
    return ops->warm(&c->fsr, &r->staging, cmd->argv_import, cmd->envp, c->timeout, e);
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
        /* Outside the timed region, around the import alone: the start-up
         * phases between repeats are no part of the figure. */
        if (id == PHASE_IMPORT)
            server_probe_before(&c->probe);
        phase_run(c->comm, &jobs[id], c->timeout, &res, &text, &elapsed[id], e);
        if (id == PHASE_IMPORT)
            server_probe_after(&c->probe);
        if (coll_agree(c->comm, e) < 0) {
            free(text);
            return -1;
        }
        /* The first failure's stderr is the one worth showing. */
        if (!errtext[id])
            errtext[id] = text;
        else
            free(text);
        if (id == PHASE_IMPORT && c->first_import.wall_start == 0)
            c->first_import = res;
        mine->seconds[id] = res.seconds;
        mine->status[id] = (int32_t)res.status;
        mine->exit_code[id] = res.exit_code;
        mine->leftover[id] = res.leftover;
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
        utc_now_iso(r->started_at, sizeof r->started_at);
    /* Prepared once for all repeats: between two timed spawns the harness
     * does as little as it can. */
    struct spawn_job jobs[NPHASES];
    char *const *argv[NPHASES] = {cmd->argv_import, cmd->argv_startup};
    int prepared = 0;
    for (; prepared < NPHASES && spawn_prepare(&jobs[prepared], argv[prepared], cmd->envp, 0, e) == 0; prepared++)
        ;
    int failed_here[NPHASES] = {0};
    for (int rep = 0; coll_agree(c->comm, e) == 0 && rep < reps; rep++) {
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
    if (!e->status)
        server_probe_collect(&c->probe, &r->server_ops);
    for (int i = 0; i < prepared; i++)
        spawn_release(&jobs[i]);
    for (int id = 0; id < NPHASES; id++)
        free(errtext[id]);
    free(all);
    free(elapsed);
    return e->status ? -1 : 0;
}

/* -X importtime's whole output is parsed: numpy's is about 100 KB. */
#define IMPORTPROF_KEEP (1u << 22)

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
    if (spawn_prepare_keep(&job, cmd->argv_profile, cmd->envp, 0, IMPORTPROF_KEEP, e) == 0) {
        phase_run_capture(c->comm, &job, c->timeout, &res, &text, IMPORTPROF_KEEP, &elapsed, e);
        spawn_release(&job);
    }
    if (coll_agree(c->comm, e) < 0) {
        free(text);
        return -1;
    }
    struct prof mine;
    importprof_parse(res.status == CHILD_OK && text ? text : "", &mine);
    importprof_aggregate(c->comm, &mine, IMPORTPROF_TOP, &r->profile);
    importprof_free(&mine);
    free(text);
    return 0;
}

static void describe(struct run_ctx *c, struct run_result *r)
{
    const char *job = getenv("SLURM_JOB_ID"), *nn = getenv("SLURM_JOB_NUM_NODES");
    r->machine = c->m->name;
    r->filesystem = c->fs->name;
    r->fs_kind = c->fs->kind->name;
    r->import_stmt = c->o->child ? c->o->child : c->stmt;
    snprintf(r->venv, sizeof r->venv, "%s", c->fs->path);
    r->ranks = c->size;
    snprintf(r->job_id, sizeof r->job_id, "%s", job ? job : "");
    r->slurm_nodes = nn ? atoi(nn) : 0;
}

/* A broken probe costs the figure, not the run: said once, printable (its
 * reason holds the probe's stderr), and kept in the result. */
static void warn_server_ops(const struct server_ops *so)
{
    if (!so->probed || so->available)
        return;
    char *line = utf8_printable(so->reason);
    fprintf(stderr, "harness: warning: server ops unavailable: %s\n", line);
    free(line);
}

int run_benchmark(MPI_Comm comm, struct config *conf, const struct run_opts *o, struct run_result *r, struct err *e)
{
    struct run_ctx c = {.comm = comm, .o = o, .hold = {.lock_fd = -1}, .probe = {.probers = MPI_COMM_NULL}};
    struct run_target t;
    MPI_Comm_rank(comm, &c.rank);
    MPI_Comm_size(comm, &c.size);
    c.log = c.rank == 0 && !o->quiet ? stderr : NULL;

    struct child_cmd cmd = {0};
    char *venv = NULL;
    int status = EXIT_RUNTIME;
    struct suite_choice suite;
    if (launch_check(comm, o->launch_start, e) < 0 || run_target_find(conf, o, &t, e) < 0 ||
        suite_choose(conf, t.m, o->import_stmt, o->suite, &suite, e) < 0)
        goto out;
    c.m = t.m;
    c.fs = t.fs;
    c.stmt = suite.stmt;
    r->suite = suite.name;
    c.timeout = o->timeout > 0 ? o->timeout : c.m->timeout;
    c.fsr = run_target_fs(comm, &t, o, c.log);
    c.fsr.hold = &c.hold;
    describe(&c, r);
    r->nodes = count_nodes(comm, o->ranks_per_node);
    server_probe_init(comm, &c.fs->probe, &c.probe);
    /* harness_wall_s starts here: staging, checks, warm-up and every phase. */
    MPI_Barrier(comm);
    double first_barrier = now_seconds();

    if (c.fs->kind->ops.prepare(&c.fsr, &venv, &r->staging, e) < 0)
        goto out;
    c.venv = venv;
    snprintf(r->venv, sizeof r->venv, "%s", venv);
    if (prepare(&c, &cmd, r, e) < 0 || timed_phases(&c, &cmd, r, e) < 0)
        goto out;
    if (o->profile_imports && !o->child && profile_phase(&c, &cmd, r, e) < 0)
        goto out;
    r->harness_wall_s = now_seconds() - first_barrier;
    launch_figures(comm, o->launch_start, &c.first_import, r);
    if (finish_fs(&c, venv, r, e) < 0)
        goto out;
    if (c.rank == 0)
        r->status = run_status_of(r);
    if (c.rank == 0)
        warn_server_ops(&r->server_ops);
    status = r->status == RUN_OK ? EXIT_ALL_OK : EXIT_RANKS_FAILED;
    MPI_Bcast(&status, 1, MPI_INT, 0, comm);
out:
    finish_fs(&c, venv, r, e);
    server_probe_free(&c.probe);
    child_cmd_free(&cmd);
    free(venv);
    return e->status ? e->status : status;
}
