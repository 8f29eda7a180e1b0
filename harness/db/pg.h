/* pg.h: the connection to the results database and the one way
 * queries are sent: PQexecParams, text parameters, errors into struct err. */
#ifndef PG_H
#define PG_H

#include <libpq-fe.h>

#include "config.h"
#include "err.h"

/* Seconds an unreachable server may take before a job gives up on it,
 * unless the conninfo or PGCONNECT_TIMEOUT says otherwise. */
#define PG_CONNECT_TIMEOUT "10"

/* Connects with the config's database.conninfo (libpq conninfo or
 * "service=NAME"), or with the PG* environment and ~/.pgpass when it has
 * none. Returns NULL with E set (EXIT_DATABASE) naming where the settings
 * came from and libpq's reason. */
PGconn *pg_connect(const struct config *conf, struct err *e);

/* Sends SQL with N text parameters (NULL entries are SQL NULL). WHAT names
 * the operation in messages. Returns the result (PQclear it), or NULL with
 * E set: libpq's message, the SQLSTATE, and what to do for a missing schema. */
PGresult *pg_exec(PGconn *c, const char *what, const char *sql, int n, const char *const *params, struct err *e);
/* pg_exec for statements whose result is not needed. */
int pg_command(PGconn *c, const char *what, const char *sql, int n, const char *const *params, struct err *e);
/* Rolls back the open transaction, if any, keeping E as it is. */
void pg_rollback(PGconn *c);

#endif
