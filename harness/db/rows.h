/* rows.h: the rows of the results table: reserving one, recording
 * a run's result into it exactly once, closing it as failed or lost. */
#ifndef ROWS_H
#define ROWS_H

#include <json-c/json.h>
#include <libpq-fe.h>

#include "base/err.h"

/* A run's result on its way to the database, directly or by the spool. */
struct pending_result {
    char key[37];            /* a random UUID: the result's identity */
    long long result_id;     /* the reserved row; 0: a row of its own */
    char finished_at[32];    /* UTC ISO 8601: when the run ended */
    char *spooled_because;   /* why it waited in the spool; NULL: it did not */
    json_object *result;     /* the run's JSON (a reference held) */
};

/* A new identity for RESULT, finished now. Takes a reference to RESULT. */
int pending_init(struct pending_result *p, long long result_id, json_object *result, struct err *e);
void pending_free(struct pending_result *p);

/* 'ok', 'failed' or 'timeout': the result's own `status`, as the run
 * decided it; for a spool file from before results carried one, from the
 * counts of both phases, as the run decides it. */
const char *result_status(json_object *result);

struct reservation {
    const char *machine, *filesystem, *import_stmt, *suite;
    int ranks;               /* 0: not known yet */
    const char *job_id;      /* NULL outside Slurm */
};
/* Inserts a 'reserved' row; *ID gets its id. */
int rows_reserve(PGconn *c, const struct reservation *r, long long *id, struct err *e);

/* rows_record's answer when the database refuses the result for good:
 * the reserved row does not exist, holds another result or belongs to
 * another setup, or the data itself is refused (SQLSTATE class 22, 23). */
#define ROWS_REFUSED (-2)

/* Records P in one transaction: into its reserved row, or a new row. A
 * result whose key is already in the table is not recorded again: then
 * *ALREADY is set and *ID names the row that holds it. Returns 0, or with
 * E set -1 (not now: connection, timeout, schema...) or ROWS_REFUSED. */
int rows_record(PGconn *c, const struct pending_result *p, long long *id, int *already, struct err *e);

/* Closes row ID as failed at job STEP (MESSAGE may be NULL) and returns 1,
 * unless it already holds a result or a failure: then returns 0. STATUS
 * gets the row's status either way. */
int rows_mark_failed(PGconn *c, long long id, const char *step, const char *message, char *status, size_t n,
                     struct err *e);

/* Marks 'reserved' rows older than HOURS as 'lost'; *COUNT of them. */
int rows_sweep(PGconn *c, double hours, long *count, struct err *e);

#endif
