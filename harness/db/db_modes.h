/* db_modes.h: the database's own modes, run outside MPI on a login or
 * batch node: create the schema, reserve a row, close one, sweep. */
#ifndef DB_MODES_H
#define DB_MODES_H

#include "base/err.h"
#include "config/config.h"

/* --reserve: the row a job's run will record into. */
struct reserve_req {
    const char *machine, *filesystem;
    const char *import_stmt, *suite; /* as the run will choose them (--import, --suite) */
    int ranks;
};

/* --db-init: the schema created or migrated (idempotent). */
int db_init_mode(const struct config *conf, struct err *e);
/* --reserve: a 'reserved' row inserted; its id alone on stdout. */
int db_reserve_mode(const struct config *conf, const struct reserve_req *r, struct err *e);
/* --mark-failed: row ID closed as failed at STEP, with MESSAGE (any bytes). */
int db_mark_failed_mode(const struct config *conf, long long id, const char *step, const char *message,
                        struct err *e);
/* --sweep: reserved rows older than lost_after_hours marked lost. */
int db_sweep_mode(const struct config *conf, struct err *e);

#endif
