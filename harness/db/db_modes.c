/* db_modes.c: the database's own modes, each a connection, one job and
 * a line of output: --db-init, --reserve, --mark-failed, --sweep. */
#include "db/db_modes.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/utf8.h"
#include "config/suite.h"
#include "db/pg.h"
#include "db/rows.h"
#include "db/schema.h"

int db_init_mode(const struct config *conf, struct err *e)
{
    struct migration *m;
    int n;
    char *dir = schema_sql_dir(e);
    if (!dir || schema_list(dir, &m, &n, e) < 0) {
        free(dir);
        return -1;
    }
    PGconn *c = pg_connect(conf, e);
    int rc = c ? schema_apply(c, m, n, stdout, e) : -1;
    PQfinish(c);
    schema_list_free(m, n);
    free(dir);
    return rc;
}

/* Run on the batch node before the launch: only the id on stdout, for
 * the job script to capture and pass to the run as --result-id. A typo
 * in the job script is reported as such, whatever the database. */
int db_reserve_mode(const struct config *conf, const struct reserve_req *req, struct err *e)
{
    const struct machine_conf *m = config_machine(conf, req->machine, e);
    struct suite_choice suite;
    if (!m || !config_fs(conf, m, req->filesystem, e) ||
        suite_choose(conf, m, req->import_stmt, req->suite, &suite, e) < 0)
        return -1;
    struct reservation r = {
        .machine = req->machine,
        .filesystem = req->filesystem,
        .import_stmt = suite.stmt,
        .suite = suite.name,
        .ranks = req->ranks,
        .job_id = getenv("SLURM_JOB_ID"),
    };
    PGconn *c = pg_connect(conf, e);
    long long id;
    int rc = c ? rows_reserve(c, &r, &id, e) : -1;
    PQfinish(c);
    if (rc == 0)
        printf("%lld\n", id);
    return rc;
}

int db_mark_failed_mode(const struct config *conf, long long id, const char *step, const char *message,
                        struct err *e)
{
    char status[32];
    PGconn *c = pg_connect(conf, e);
    if (!c)
        return -1;
    /* The message comes from a job script's capture of some tool's output:
     * any bytes at all, and the database takes only UTF-8. */
    char *msg = message ? utf8_valid(message, strlen(message), SIZE_MAX) : NULL;
    int rc = rows_mark_failed(c, id, step, msg, status, sizeof status, e);
    free(msg);
    PQfinish(c);
    if (rc == 0)
        fprintf(stderr, "harness: result row %lld is '%s' already: left as it is\n", id, status);
    return rc < 0 ? -1 : 0;
}

int db_sweep_mode(const struct config *conf, struct err *e)
{
    long n;
    PGconn *c = pg_connect(conf, e);
    int rc = c ? rows_sweep(c, conf->db.lost_after_hours, &n, e) : -1;
    PQfinish(c);
    if (rc < 0)
        return -1;
    printf("sweep: %ld reserved row%s older than %g hours marked lost\n", n, n == 1 ? "" : "s",
           conf->db.lost_after_hours);
    return 0;
}
