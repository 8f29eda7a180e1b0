/* pg.c: connecting to PostgreSQL with a bounded wait and sending
 * parameterized queries, each with a deadline; the messages say which
 * settings were used. */
#include "db/pg.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libpq-events.h>

#include "base/clock.h"

/* libpq's messages end in newlines and may span lines: one line here. */
static void one_line(const char *in, char *out, size_t n)
{
    size_t j = 0;
    for (const char *p = in ? in : ""; *p && j + 1 < n; p++) {
        int space = *p == '\n' || *p == '\t';
        if (!space || (j > 0 && out[j - 1] != ' '))
            out[j++] = space ? ' ' : *p;
    }
    while (j > 0 && out[j - 1] == ' ')
        j--;
    out[j] = '\0';
}

/* The connection's client-side limit rides on the connection itself, as
 * libpq instance data of this (otherwise idle) event procedure: every
 * query sent on it finds it without a global or a wider signature. */
static int limit_event(PGEventId id, void *info, void *pass)
{
    (void)id, (void)info, (void)pass;
    return 1;
}

static void set_client_limit(PGconn *c, double statement_timeout)
{
    intptr_t ms = (intptr_t)((statement_timeout + PG_CLIENT_SLACK) * 1000);
    if (PQregisterEventProc(c, limit_event, "mpi4py-import client limit", NULL))
        PQsetInstanceData(c, limit_event, (void *)ms);
}

static double client_limit(const PGconn *c)
{
    intptr_t ms = (intptr_t)PQinstanceData(c, limit_event);
    return ms > 0 ? (double)ms / 1000 : PG_DEFAULT_STATEMENT_TIMEOUT + PG_CLIENT_SLACK;
}

PGconn *pg_connect(const struct config *conf, struct err *e)
{
    /* Keywords are applied in order: the conninfo, expanded from dbname,
     * overrides the timeout default; PGCONNECT_TIMEOUT beats the default. */
    const char *keys[6], *vals[6];
    int n = 0;
    double timeout = conf->db.statement_timeout > 0 ? conf->db.statement_timeout : PG_DEFAULT_STATEMENT_TIMEOUT;
    char options[128];
    /* "relation ... already exists, skipping" is not news on a re-run; a
     * lock held elsewhere ends in an error, not an endless wait. */
    snprintf(options, sizeof options, "-c client_min_messages=warning -c statement_timeout=%.0f",
             ceil(timeout * 1000));
    if (!getenv("PGCONNECT_TIMEOUT")) {
        keys[n] = "connect_timeout";
        vals[n++] = PG_CONNECT_TIMEOUT;
    }
    keys[n] = "application_name";
    vals[n++] = "mpi4py-import harness";
    keys[n] = "options";
    vals[n++] = options;
    /* The JSON is UTF-8 whatever the database's own encoding. */
    keys[n] = "client_encoding";
    vals[n++] = "UTF8";
    if (conf->db.conninfo) {
        keys[n] = "dbname";
        vals[n++] = conf->db.conninfo;
    }
    keys[n] = vals[n] = NULL;
    PGconn *c = PQconnectdbParams(keys, vals, 1);
    if (c && PQstatus(c) == CONNECTION_OK) {
        set_client_limit(c, timeout);
        return c;
    }
    char why[1024];
    one_line(c ? PQerrorMessage(c) : "out of memory", why, sizeof why);
    if (conf->db.conninfo)
        err_set(e, EXIT_DATABASE, "cannot connect to the database of %s (database.conninfo): %s", conf->path, why);
    else
        err_set(e, EXIT_DATABASE,
                "cannot connect to the database (%s has no database.conninfo; the PG* environment was used): %s",
                conf->path, why);
    PQfinish(c);
    return NULL;
}

static const char *hint_for(const char *sqlstate)
{
    /* undefined_table, undefined_column, undefined_function */
    if (strcmp(sqlstate, "42P01") == 0 || strcmp(sqlstate, "42703") == 0 || strcmp(sqlstate, "42883") == 0)
        return " (the results schema is missing or old: run harness --db-init --config FILE)";
    return "";
}

/* Waits until libpq has the next result whole, or DEADLINE passes (then
 * returns -1). A server that accepted the query and went silent (a network
 * partition, a stopped host) cannot hold the job: the server-side
 * statement_timeout needs a server that still runs. */
static int wait_ready(PGconn *c, double deadline)
{
    for (;;) {
        int pending = PQflush(c);
        if (pending < 0 || (pending == 0 && !PQisBusy(c)))
            return 0;   /* ready, or broken: PQgetResult says which */
        double left = deadline - now_seconds();
        if (left <= 0)
            return -1;
        struct pollfd p = {.fd = PQsocket(c), .events = (short)(POLLIN | (pending ? POLLOUT : 0))};
        int rc = poll(&p, 1, (int)ceil(left * 1000));
        if (rc < 0 && errno != EINTR)
            return 0;
        if (rc > 0 && !PQconsumeInput(c))
            return 0;
    }
}

/* Sends SQL and returns its (last) result; NULL with *LATE set when no
 * answer came in time. The connection is then shut down so that anything
 * sent on it after fails at once instead of waiting again. */
static PGresult *send_and_wait(PGconn *c, const char *sql, int n, const char *const *params, int *late)
{
    double deadline = now_seconds() + client_limit(c);
    *late = 0;
    PQsetnonblocking(c, 1);
    if (!PQsendQueryParams(c, sql, n, NULL, params, NULL, NULL, 0))
        return NULL;
    PGresult *last = NULL;
    for (;;) {
        if (wait_ready(c, deadline) < 0) {
            *late = 1;
            shutdown(PQsocket(c), SHUT_RDWR);
            PQclear(last);
            return NULL;
        }
        PGresult *r = PQgetResult(c);
        if (!r)
            return last;
        /* The first error is the one to report. */
        if (last && PQresultStatus(last) == PGRES_FATAL_ERROR)
            PQclear(r);
        else {
            PQclear(last);
            last = r;
        }
    }
}

PGresult *pg_exec_state(PGconn *c, const char *what, const char *sql, int n, const char *const *params,
                        char sqlstate[6], struct err *e)
{
    int late;
    if (sqlstate)
        sqlstate[0] = '\0';
    PGresult *r = send_and_wait(c, sql, n, params, &late);
    ExecStatusType st = PQresultStatus(r);
    if (r && (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK))
        return r;
    if (late) {
        err_set(e, EXIT_DATABASE, "database: %s: no answer within %g s (database.statement_timeout + %d s): "
                                  "connection abandoned", what, client_limit(c), PG_CLIENT_SLACK);
        return NULL;
    }
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    char why[1024];
    one_line(r ? PQresultErrorMessage(r) : PQerrorMessage(c), why, sizeof why);
    if (!why[0])
        one_line(PQerrorMessage(c), why, sizeof why);
    if (state && sqlstate)
        snprintf(sqlstate, 6, "%s", state);
    err_set(e, EXIT_DATABASE, "database: %s: %s%s%s%s%s", what, why, state ? " (SQLSTATE " : "", state ? state : "",
            state ? ")" : "", state ? hint_for(state) : "");
    PQclear(r);
    return NULL;
}

PGresult *pg_exec(PGconn *c, const char *what, const char *sql, int n, const char *const *params, struct err *e)
{
    return pg_exec_state(c, what, sql, n, params, NULL, e);
}

int pg_command(PGconn *c, const char *what, const char *sql, int n, const char *const *params, struct err *e)
{
    PGresult *r = pg_exec(c, what, sql, n, params, e);
    PQclear(r);
    return r ? 0 : -1;
}

void pg_rollback(PGconn *c)
{
    struct err ignored = {0};
    if (PQstatus(c) == CONNECTION_OK && PQtransactionStatus(c) != PQTRANS_IDLE)
        PQclear(pg_exec(c, "rollback", "ROLLBACK", 0, NULL, &ignored));
}

int pg_refused_for_good(const char *sqlstate)
{
    /* Class 22 (data exception: bad JSON, bad encoding, a value out of
     * range) and 23 (integrity constraint violation) say the same result
     * will be refused however often it is sent. Anything else (connection,
     * timeout, lock, missing schema, privileges, resources) may pass later. */
    return sqlstate && (strncmp(sqlstate, "22", 2) == 0 || strncmp(sqlstate, "23", 2) == 0);
}
