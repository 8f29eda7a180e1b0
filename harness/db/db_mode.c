/* db_mode.c: the database modes run outside MPI: --db-init,
 * --reserve, --mark-failed, --flush-spool, --sweep and --report. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "modes.h"
#include "config/suite.h"
#include "db/deliver.h"
#include "db/pg.h"
#include "history/history_report.h"
#include "db/rows.h"
#include "db/schema.h"
#include "base/utf8.h"

static int db_init(PGconn *c, struct err *e)
{
    struct migration *m;
    int n;
    char *dir = schema_sql_dir(e);
    if (!dir || schema_list(dir, &m, &n, e) < 0) {
        free(dir);
        return -1;
    }
    int rc = schema_apply(c, m, n, stdout, e);
    schema_list_free(m, n);
    free(dir);
    return rc;
}

/* Run on the batch node before the launch: only the id on stdout, for
 * the job script to capture and pass to the run as --result-id. */
static int reserve(PGconn *c, const struct config *conf, const struct options *o, struct err *e)
{
    const struct machine_conf *m = config_machine(conf, o->machine, e);
    struct suite_choice suite;
    if (!m || !config_fs(conf, m, o->filesystem, e) || suite_choose(conf, m, o, &suite, e) < 0)
        return -1;
    struct reservation r = {
        .machine = o->machine,
        .filesystem = o->filesystem,
        .import_stmt = suite.stmt,
        .suite = suite.name,
        .ranks = o->ranks,
        .job_id = getenv("SLURM_JOB_ID"),
    };
    long long id;
    if (rows_reserve(c, &r, &id, e) < 0)
        return -1;
    printf("%lld\n", id);
    return 0;
}

static int mark_failed(PGconn *c, const struct options *o, struct err *e)
{
    char status[32];
    /* The message comes from a job script's capture of some tool's output:
     * any bytes at all, and the database takes only UTF-8. */
    char *msg = o->message ? utf8_valid(o->message, strlen(o->message), SIZE_MAX) : NULL;
    int rc = rows_mark_failed(c, o->result_id, o->step, msg, status, sizeof status, e);
    free(msg);
    if (rc == 0)
        fprintf(stderr, "harness: result row %lld is '%s' already: left as it is\n", o->result_id, status);
    return rc < 0 ? -1 : 0;
}

static int sweep(PGconn *c, const struct config *conf, struct err *e)
{
    long n;
    if (rows_sweep(c, conf->db.lost_after_hours, &n, e) < 0)
        return -1;
    printf("sweep: %ld reserved row%s older than %g hours marked lost\n", n, n == 1 ? "" : "s",
           conf->db.lost_after_hours);
    return 0;
}

static int with_database(const struct config *conf, const struct options *o, struct err *e)
{
    /* A typo in the job script is reported as such, whatever the database. */
    const struct machine_conf *m = o->mode == MODE_RESERVE ? config_machine(conf, o->machine, e) : NULL;
    if (o->mode == MODE_RESERVE && (!m || !config_fs(conf, m, o->filesystem, e)))
        return -1;
    PGconn *c = pg_connect(conf, e);
    if (!c)
        return -1;
    int rc = -1;
    switch (o->mode) {
    case MODE_DB_INIT: rc = db_init(c, e); break;
    case MODE_RESERVE: rc = reserve(c, conf, o, e); break;
    case MODE_MARK_FAILED: rc = mark_failed(c, o, e); break;
    case MODE_SWEEP: rc = sweep(c, conf, e); break;
    case MODE_REPORT: {
        struct report_opts r = {o->days, o->out, o->html, o->jsonl, o->fail_ratio, conf};
        rc = report_run(c, &r, stdout, e);
        break;
    }
    default: rc = err_set(e, EXIT_USAGE, "not a database mode");
    }
    PQfinish(c);
    return rc;
}

int results_main(const struct options *o, struct err *e)
{
    struct config conf;
    if (config_load(o->config, &conf, e) < 0)
        return e->status;
    /* The spool is read before connecting: nothing to send, no database needed. */
    int rc = o->mode == MODE_FLUSH_SPOOL ? deliver_flush(&conf, stdout, e) : with_database(&conf, o, e);
    config_free(&conf);
    /* --report --fail-on-regression: 1 when a setup got slower. */
    return rc < 0 ? e->status : rc;
}
