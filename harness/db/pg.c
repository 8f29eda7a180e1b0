/* pg.c: connecting to PostgreSQL with a bounded wait and sending
 * parameterized queries; the messages say which settings were used. */
#include "pg.h"

#include <stdlib.h>
#include <string.h>

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

PGconn *pg_connect(const struct config *conf, struct err *e)
{
    /* Keywords are applied in order: the conninfo, expanded from dbname,
     * overrides the timeout default; PGCONNECT_TIMEOUT beats the default. */
    const char *keys[5], *vals[5];
    int n = 0;
    if (!getenv("PGCONNECT_TIMEOUT")) {
        keys[n] = "connect_timeout";
        vals[n++] = PG_CONNECT_TIMEOUT;
    }
    keys[n] = "application_name";
    vals[n++] = "mpi4py-import harness";
    /* "relation ... already exists, skipping" is not news on a re-run. */
    keys[n] = "options";
    vals[n++] = "-c client_min_messages=warning";
    if (conf->db.conninfo) {
        keys[n] = "dbname";
        vals[n++] = conf->db.conninfo;
    }
    keys[n] = vals[n] = NULL;
    PGconn *c = PQconnectdbParams(keys, vals, 1);
    if (c && PQstatus(c) == CONNECTION_OK)
        return c;
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

PGresult *pg_exec(PGconn *c, const char *what, const char *sql, int n, const char *const *params, struct err *e)
{
    PGresult *r = PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
        return r;
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    char why[1024];
    one_line(r ? PQresultErrorMessage(r) : PQerrorMessage(c), why, sizeof why);
    if (!why[0])
        one_line(PQerrorMessage(c), why, sizeof why);
    err_set(e, EXIT_DATABASE, "database: %s: %s%s%s%s%s", what, why, state ? " (SQLSTATE " : "", state ? state : "",
            state ? ")" : "", state ? hint_for(state) : "");
    PQclear(r);
    return NULL;
}

int pg_command(PGconn *c, const char *what, const char *sql, int n, const char *const *params, struct err *e)
{
    PGresult *r = pg_exec(c, what, sql, n, params, e);
    PQclear(r);
    return r ? 0 : -1;
}

void pg_rollback(PGconn *c)
{
    if (PQtransactionStatus(c) != PQTRANS_IDLE)
        PQclear(PQexecParams(c, "ROLLBACK", 0, NULL, NULL, NULL, NULL, 0));
}
