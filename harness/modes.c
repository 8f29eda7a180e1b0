/* modes.c: the table of modes and each mode's entry: it loads the config,
 * hands its layer the few settings it takes, and renders what comes back. */
#include "modes.h"

#include <stdlib.h>
#include <string.h>

#include "config/config_collective.h"
#include "config/suite.h"
#include "db/db_modes.h"
#include "db/deliver.h"
#include "history/history_report.h"
#include "jobgen/gen_jobs.h"
#include "output/render.h"

static int load(MPI_Comm comm, const char *path, struct config *conf, struct err *e)
{
    if (comm != MPI_COMM_NULL)
        return config_load_collective(comm, path, conf, e);
    return config_load(path, conf, e);
}

/* Rank 0: the table, the database (or its spool), then the JSON file.
 * The record comes first and never depends on the file: a full log
 * directory must not lose a result the database could have taken. */
static int output(const struct config *conf, const struct options *o, const struct run_result *r, struct err *e)
{
    int json_stdout = o->json && strcmp(o->json, "-") == 0;
    render_text(r, json_stdout ? stderr : stdout);
    fflush(stdout);
    json_object *obj = render_json(r);
    int rc = deliver_result(conf, o->result_id, o->run.quiet, obj, e);
    struct err json_err = {0};
    if (o->json && render_json_write(obj, o->json, &json_err) < 0) {
        if (rc == 0)
            *e = json_err;
        else
            fprintf(stderr, "harness: %s\n", json_err.msg);
        rc = -1;
    }
    json_object_put(obj);
    return rc;
}

static int run_mode(MPI_Comm comm, const struct options *o, struct err *e)
{
    struct config conf;
    int rank;
    MPI_Comm_rank(comm, &rank);
    if (load(comm, o->config, &conf, e) < 0)
        return e->status;
    struct run_result *r = calloc(1, sizeof *r);
    int status = run_benchmark(comm, &conf, &o->run, r, e);
    if (!e->status && rank == 0 && output(&conf, o, r, e) < 0)
        status = e->status;
    /* Every rank leaves with rank 0's status. */
    MPI_Bcast(&status, 1, MPI_INT, 0, comm);
    free(r);
    config_free(&conf);
    return status;
}

/* Rank 0: the statistics like rsync --stats, and --json if asked. */
static int stage_output(const struct staging_result *st, const struct options *o, struct err *e)
{
    int json_stdout = o->json && strcmp(o->json, "-") == 0;
    if (!o->run.quiet)
        fs_result_text(st, json_stdout ? stderr : stdout);
    if (!o->json)
        return 0;
    json_object *obj = fs_result_json(st);
    int rc = render_json_write(obj, o->json, e);
    json_object_put(obj);
    return rc;
}

static int stage_mode(MPI_Comm comm, const struct options *o, struct err *e)
{
    struct config conf;
    struct staging_result st;
    int rank = 0;
    if (comm != MPI_COMM_NULL)
        MPI_Comm_rank(comm, &rank);
    if (load(comm, o->config, &conf, e) < 0)
        return e->status;
    if (stage_only(comm, &conf, &o->run, &st, e) == 0 && rank == 0)
        stage_output(&st, o, e);
    config_free(&conf);
    return e->status;
}

/* The serial modes: the config read by this one process, one call each. */
static int serial(const struct options *o, struct err *e, int (*body)(const struct config *, const struct options *,
                                                                      struct err *))
{
    struct config conf;
    if (config_load(o->config, &conf, e) < 0)
        return e->status;
    int rc = body(&conf, o, e);
    config_free(&conf);
    return rc < 0 ? e->status : rc;
}

static int checks_body(const struct config *c, const struct options *o, struct err *e)
{
    return checks_only(c, &o->run, e) ? -1 : 0;
}

static int db_init_body(const struct config *c, const struct options *o, struct err *e)
{
    (void)o;
    return db_init_mode(c, e);
}

static int reserve_body(const struct config *c, const struct options *o, struct err *e)
{
    struct reserve_req r = {o->run.machine, o->run.filesystem, o->run.import_stmt, o->run.suite, o->ranks};
    return db_reserve_mode(c, &r, e);
}

static int mark_failed_body(const struct config *c, const struct options *o, struct err *e)
{
    return db_mark_failed_mode(c, o->result_id, o->step, o->message, e);
}

static int sweep_body(const struct config *c, const struct options *o, struct err *e)
{
    (void)o;
    return db_sweep_mode(c, e);
}

/* The spool is read before connecting: nothing to send, no database needed. */
static int flush_body(const struct config *c, const struct options *o, struct err *e)
{
    (void)o;
    return deliver_flush(c, stdout, e);
}

/* --report --fail-on-regression: 1 when a setup got slower. */
static int report_body(const struct config *c, const struct options *o, struct err *e)
{
    struct report_opts r = {o->days,       o->out,    o->html,          o->jsonl,           o->fail_ratio,
                            o->baseline_t, o->accept_baseline, o->run.machine, o->run.filesystem, c};
    return report_mode(&r, e);
}

#define SERIAL_MODE(name, body)                                                                                        \
    static int name(MPI_Comm comm, const struct options *o, struct err *e)                                           \
    {                                                                                                                  \
        (void)comm;                                                                                                    \
        return serial(o, e, body);                                                                                     \
    }
SERIAL_MODE(checks_mode, checks_body)
SERIAL_MODE(db_init, db_init_body)
SERIAL_MODE(reserve, reserve_body)
SERIAL_MODE(mark_failed, mark_failed_body)
SERIAL_MODE(sweep, sweep_body)
SERIAL_MODE(flush_spool, flush_body)
SERIAL_MODE(report, report_body)

/* --gen-jobs and --suite-packages read the config with $VARS of the
 * compute node left unexpanded: they load it themselves. */
static int gen_jobs_mode(MPI_Comm comm, const struct options *o, struct err *e)
{
    (void)comm;
    struct gen_jobs_opts g = {o->config, o->run.machine, o->size, o->out};
    return gen_jobs(&g, e);
}

static int suite_packages_mode(MPI_Comm comm, const struct options *o, struct err *e)
{
    (void)comm;
    return suite_packages_print(o->config, o->run.machine, e);
}

const struct mode_row mode_rows[] = {
    {MODE_RUN, NULL, MODE_MPI, run_mode},
    /* A singleton MPI_Init costs about 0.4 s here, ten times a restage
     * that finds everything up to date: one process staging needs no MPI. */
    {MODE_STAGE_ONLY, "stage-only", MODE_MPI_IF_LAUNCHED, stage_mode},
    {MODE_CHECKS_ONLY, "checks-only", MODE_SERIAL, checks_mode},
    {MODE_DB_INIT, "db-init", MODE_SERIAL, db_init},
    {MODE_RESERVE, "reserve", MODE_SERIAL, reserve},
    {MODE_MARK_FAILED, "mark-failed", MODE_SERIAL, mark_failed},
    {MODE_FLUSH_SPOOL, "flush-spool", MODE_SERIAL, flush_spool},
    {MODE_SWEEP, "sweep", MODE_SERIAL, sweep},
    {MODE_REPORT, "report", MODE_SERIAL, report},
    {MODE_GEN_JOBS, "gen-jobs", MODE_SERIAL, gen_jobs_mode},
    {MODE_SUITE_PACKAGES, "suite-packages", MODE_SERIAL, suite_packages_mode},
    {0, NULL, 0, NULL},
};

const struct mode_row *mode_row_of(enum mode m)
{
    for (const struct mode_row *r = mode_rows; r->main; r++)
        if (r->mode == m)
            return r;
    return NULL;
}
