/* pg.h: the connection to the results database and the one way
 * queries are sent: PQexecParams, text parameters, errors into struct err. */
#ifndef PG_H
#define PG_H

#include <libpq-fe.h>

#include "config/config.h"
#include "base/err.h"

/* Seconds an unreachable server may take before a job gives up on it,
 * unless the conninfo or PGCONNECT_TIMEOUT says otherwise. */
#define PG_CONNECT_TIMEOUT "10"
/* database.statement_timeout's default, in seconds; the server cancels a
 * statement after it. The client waits this much longer for any answer
 * before it abandons the connection (a server that stopped answering). */
#define PG_DEFAULT_STATEMENT_TIMEOUT 30
#define PG_CLIENT_SLACK 5

/* Connects with the config's database.conninfo (libpq conninfo or
 * "service=NAME"), or with the PG* environment and ~/.pgpass when it has
 * none. Returns NULL with E set (EXIT_DATABASE) naming where the settings
 * came from and libpq's reason. Statements on it are cancelled by the
 * server after database.statement_timeout, and abandoned by the client
 * PG_CLIENT_SLACK seconds later if no answer came at all. */
PGconn *pg_connect(const struct config *conf, struct err *e);

/* Sends SQL with N text parameters (NULL entries are SQL NULL), waiting no
 * longer than the connection's client-side limit. WHAT names
 * the operation in messages. Returns the result (PQclear it), or NULL with
 * E set: libpq's message, the SQLSTATE, and what to do for a missing schema. */
PGresult *pg_exec(PGconn *c, const char *what, const char *sql, int n, const char *const *params, struct err *e);
/* pg_exec that also copies the error's SQLSTATE (if any) into SQLSTATE
 * (may be NULL; "" when there is none, as after a timeout). */
PGresult *pg_exec_state(PGconn *c, const char *what, const char *sql, int n, const char *const *params,
                        char sqlstate[6], struct err *e);
/* Whether an error of SQLSTATE means the same statement can never pass
 * (bad data, a broken constraint) rather than not now. */
int pg_refused_for_good(const char *sqlstate);
/* pg_exec for statements whose result is not needed. */
int pg_command(PGconn *c, const char *what, const char *sql, int n, const char *const *params, struct err *e);
/* Rolls back the open transaction, if any, keeping E as it is. */
void pg_rollback(PGconn *c);

#endif
