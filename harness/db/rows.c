/* rows.c: the queries on the results table. The typed columns are
 * read out of the run's JSON by the database itself (sql/schema.sql's
 * json_number and friends), so one JSON parameter carries the whole result. */
#include "db/rows.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "base/clock.h"
#include "db/pg.h"
#include "base/utf8.h"

int pending_init(struct pending_result *p, long long result_id, json_object *result, struct err *e)
{
    unsigned char b[16];
    memset(p, 0, sizeof *p);
    if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b)
        return err_sys(e, EXIT_RUNTIME, "getrandom");
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);   /* version 4: random */
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);   /* RFC 4122 variant */
    char *o = p->key;
    for (int i = 0; i < 16; i++)
        o += sprintf(o, "%s%02x", i == 4 || i == 6 || i == 8 || i == 10 ? "-" : "", b[i]);
    utc_now_iso(p->finished_at, sizeof p->finished_at);
    p->result_id = result_id;
    p->result = json_object_get(result);
    return 0;
}

void pending_free(struct pending_result *p)
{
    json_object_put(p->result);
    free(p->spooled_because);
    memset(p, 0, sizeof *p);
}

static int count_of(json_object *o, const char *key)
{
    json_object *v;
    return o && json_object_object_get_ex(o, key, &v) ? json_object_get_int(v) : 0;
}

const char *result_status(json_object *result)
{
    json_object *v = NULL;
    static const char *const run_statuses[] = {"ok", "failed", "timeout"};
    if (json_object_object_get_ex(result, "status", &v) && json_object_is_type(v, json_type_string))
        for (int i = 0; i < 3; i++)
            if (strcmp(json_object_get_string(v), run_statuses[i]) == 0)
                return run_statuses[i];
    /* Spool files written before results carried their status. */
    json_object *startup = NULL;
    json_object_object_get_ex(result, "startup", &startup);
    if (count_of(result, "timed_out") > 0 || count_of(startup, "timed_out") > 0)
        return "timeout";
    if (count_of(result, "failed") > 0 || count_of(startup, "failed") > 0)
        return "failed";
    return "ok";
}

int rows_reserve(PGconn *c, const struct reservation *r, long long *id, struct err *e)
{
    char ranks[16];
    snprintf(ranks, sizeof ranks, "%d", r->ranks);
    const char *p[] = {r->machine, r->filesystem, r->import_stmt, r->ranks > 0 ? ranks : NULL, r->job_id, r->suite};
    PGresult *res = pg_exec(c, "reserving a result row",
                            "INSERT INTO results (machine, filesystem, import_statement, ranks, job_id, suite) "
                            "VALUES ($1, $2, $3, $4::integer, $5, $6) RETURNING id",
                            6, p, e);
    if (!res)
        return -1;
    *id = atoll(PQgetvalue(res, 0, 0));
    PQclear(res);
    return 0;
}

/* Every typed column from the JSON $6, into row $1 if it holds no result
 * yet and was reserved for the same machine and filesystem. */
static const char record_sql[] =
    "UPDATE results AS r SET status = $3, result_key = $2::uuid, finished_at = $4::timestamptz, "
    "  spooled_because = $5, result = j, "
    "  started_at = nullif(json_string(j, 'started_at'), '')::timestamptz, fs_kind = json_string(j, 'fs_kind'), "
    "  ranks = json_integer(j, 'ranks'), nodes = json_integer(j, 'nodes'), "
    "  job_id = coalesce(json_string(j, 'job_id'), r.job_id), import_statement = json_string(j, 'import_statement'), "
    "  elapsed_s = json_number(j, 'elapsed_s'), "
    "  per_rank_min = json_number(j -> 'per_rank', 'min'), per_rank_median = json_number(j -> 'per_rank', 'median'), "
    "  per_rank_p90 = json_number(j -> 'per_rank', 'p90'), per_rank_p99 = json_number(j -> 'per_rank', 'p99'), "
    "  per_rank_max = json_number(j -> 'per_rank', 'max'), per_rank_mean = json_number(j -> 'per_rank', 'mean'), "
    "  startup_elapsed_s = json_number(j -> 'startup', 'elapsed_s'), "
    "  startup_min = json_number(j -> 'startup', 'min'), startup_median = json_number(j -> 'startup', 'median'), "
    "  startup_p90 = json_number(j -> 'startup', 'p90'), startup_max = json_number(j -> 'startup', 'max'), "
    "  ok_ranks = json_integer(j, 'ok'), failed_ranks = json_integer(j, 'failed'), "
    "  timed_out_ranks = json_integer(j, 'timed_out'), startup_failed = json_integer(j -> 'startup', 'failed'), "
    "  startup_timed_out = json_integer(j -> 'startup', 'timed_out'), "
    "  slowest_rank = json_integer(j -> 'slowest', 'rank'), slowest_host = json_string(j -> 'slowest', 'host'), "
    "  first_failure_rank = json_integer(j -> 'first_failure', 'rank'), "
    "  first_failure_exit = json_integer(j -> 'first_failure', 'exit_code'), "
    "  meta_total = json_integer(j -> 'metadata_ops', 'total'), "
    "  meta_failed = json_integer(j -> 'metadata_ops', 'failed'), "
    "  meta_enoent = json_integer(j -> 'metadata_ops', 'enoent'), "
    "  meta_openat = json_integer(j -> 'metadata_ops', 'openat'), "
    "  meta_newfstatat = json_integer(j -> 'metadata_ops', 'newfstatat'), "
    "  staging_seconds = json_number(j -> 'staging', 'seconds'), "
    "  staging_entries = json_integer(j -> 'staging', 'entries'), "
    "  staging_up_to_date = json_integer(j -> 'staging', 'up_to_date'), "
    "  staging_copied = json_integer(j -> 'staging', 'copied'), "
    "  staging_delta_updated = json_integer(j -> 'staging', 'delta_updated'), "
    "  staging_deleted = json_integer(j -> 'staging', 'deleted'), "
    "  staging_literal_bytes = json_integer(j -> 'staging', 'literal_bytes'), "
    "  staging_matched_bytes = json_integer(j -> 'staging', 'matched_bytes'), "
    "  python_version = json_string(j, 'python_version'), numpy_version = json_string(j, 'numpy_version'), "
    "  suite = coalesce(json_string(j, 'suite'), r.suite), import_profile = nullif(j -> 'import_profile', 'null'::jsonb), "
    "  staging_kind = json_string(j -> 'staging', 'kind'), "
    "  staging_bytes_sent = json_integer(j -> 'staging', 'bytes_sent'), "
    "  time_to_first_import_s = json_number(j, 'time_to_first_import_s'), "
    "  harness_wall_s = json_number(j, 'harness_wall_s'), "
    "  launch_s = json_number(j, 'launch_s'), original_s = json_number(j, 'original_s'), "
    "  server_ops_total = json_integer(j -> 'server_ops', 'total') "
    "FROM (SELECT $6::jsonb AS j) AS s "
    "WHERE r.id = $1 AND r.result_key IS NULL "
    "  AND r.machine = json_string(j, 'machine') AND r.filesystem = json_string(j, 'filesystem') "
    "RETURNING r.id";

/* The update matched nothing: say why, in terms of the row. Each reason
 * is for good: ROWS_REFUSED, unless the question itself failed. */
static int explain_refusal(PGconn *c, const char *id, const struct pending_result *p, struct err *e)
{
    const char *q[] = {id};
    PGresult *r = pg_exec(c, "reading the reserved row",
                          "SELECT result_key IS NOT NULL, machine, filesystem FROM results WHERE id = $1", 1, q, e);
    if (!r)
        return -1;
    json_object *m = NULL, *f = NULL;
    json_object_object_get_ex(p->result, "machine", &m);
    json_object_object_get_ex(p->result, "filesystem", &f);
    if (PQntuples(r) == 0)
        err_set(e, EXIT_DATABASE, "there is no result row %s (--result-id): reserve one with harness --reserve", id);
    else if (strcmp(PQgetvalue(r, 0, 0), "t") == 0)
        err_set(e, EXIT_DATABASE, "result row %s already holds the result of another run", id);
    else
        err_set(e, EXIT_DATABASE, "result row %s was reserved for machine '%s', filesystem '%s', not for '%s', '%s'",
                id, PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 2), m ? json_object_get_string(m) : "?",
                f ? json_object_get_string(f) : "?");
    PQclear(r);
    return ROWS_REFUSED;
}

/* pg_exec for the statements that carry the result: an error that the same
 * data would meet again is ROWS_REFUSED (*FAILED), any other -1. */
static PGresult *exec_data(PGconn *c, const char *what, const char *sql, int n, const char *const *params,
                           int *failed, struct err *e)
{
    char state[6];
    PGresult *r = pg_exec_state(c, what, sql, n, params, state, e);
    if (!r)
        *failed = pg_refused_for_good(state) ? ROWS_REFUSED : -1;
    return r;
}

/* Inside the transaction: 1 if the key is already recorded (*ID its row). */
static int find_key(PGconn *c, const struct pending_result *p, long long *id, struct err *e)
{
    const char *k[] = {p->key};
    /* Two recorders of one result (two flushes at once) take turns here,
     * so the second sees the first's row instead of racing it. */
    if (pg_command(c, "locking the result key", "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", 1, k, e) <
        0)
        return -1;
    PGresult *r = pg_exec(c, "looking up the result key", "SELECT id FROM results WHERE result_key = $1::uuid", 1,
                          k, e);
    if (!r)
        return -1;
    int found = PQntuples(r) == 1;
    if (found)
        *id = atoll(PQgetvalue(r, 0, 0));
    PQclear(r);
    return found;
}

static int new_row(PGconn *c, const char *json, char *id, size_t n, struct err *e)
{
    const char *q[] = {json};
    int failed = -1;
    PGresult *r = exec_data(c, "inserting a result row",
                            "INSERT INTO results (machine, filesystem) "
                            "SELECT json_string(j, 'machine'), json_string(j, 'filesystem') "
                            "FROM (SELECT $1::jsonb AS j) AS s RETURNING id",
                            1, q, &failed, e);
    if (!r)
        return failed;
    snprintf(id, n, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    return 0;
}

/* The transaction's body: 1 if the key was recorded before, 0 if it is
 * now, -1 not now, ROWS_REFUSED never. JSON is the result's text. */
static int record_in_tx(PGconn *c, const struct pending_result *p, const char *json, long long *id, struct err *e)
{
    char rid[32];
    int found = find_key(c, p, id, e), rc = 0;
    if (found != 0)
        return found;
    snprintf(rid, sizeof rid, "%lld", p->result_id);
    if (!p->result_id && (rc = new_row(c, json, rid, sizeof rid, e)) < 0)
        return rc;
    const char *q[] = {rid, p->key, result_status(p->result), p->finished_at, p->spooled_because, json};
    PGresult *r = exec_data(c, "recording the result", record_sql, 6, q, &rc, e);
    if (r && PQntuples(r) == 0)
        rc = explain_refusal(c, rid, p, e);
    PQclear(r);
    *id = atoll(rid);
    return rc;
}

/* The first number in O that is NaN or infinite, its path into WHERE
 * ("per_rank.median"); 0 if none. */
static int nonfinite(json_object *o, char *where, size_t n)
{
    size_t len = strlen(where);
    if (json_object_is_type(o, json_type_double))
        return !isfinite(json_object_get_double(o));
    if (json_object_is_type(o, json_type_array))
        for (size_t i = 0; i < json_object_array_length(o); i++) {
            snprintf(where + len, n - len, "[%zu]", i);
            if (nonfinite(json_object_array_get_idx(o, i), where, n))
                return 1;
        }
    if (json_object_is_type(o, json_type_object)) {
        json_object_object_foreach(o, key, v) {
            snprintf(where + len, n - len, "%s%s", len ? "." : "", key);
            if (nonfinite(v, where, n))
                return 1;
        }
    }
    where[len] = '\0';
    return 0;
}

int rows_record(PGconn *c, const struct pending_result *p, long long *id, int *already, struct err *e)
{
    char where[512] = "";
    /* No NaN or Infinity among the figures: the report would draw it and
     * the statistics over it be NaN; the same result is refused every time. */
    if (nonfinite(p->result, where, sizeof where)) {
        err_set(e, EXIT_DATABASE, "the result's %s is not a finite number: refused", where);
        return ROWS_REFUSED;
    }
    if (pg_command(c, "begin", "BEGIN", 0, NULL, e) < 0)
        return -1;
    /* Valid UTF-8 whatever the result holds (a spool file from before
     * children's text was cleaned, a config's odd bytes): one bad byte
     * would have the database refuse the whole result. */
    const char *text = json_object_to_json_string_ext(p->result, JSON_C_TO_STRING_PLAIN);
    char *json = utf8_valid(text, strlen(text), SIZE_MAX);
    int found = record_in_tx(c, p, json, id, e);
    free(json);
    if (found < 0 || pg_command(c, "commit", "COMMIT", 0, NULL, e) < 0) {
        pg_rollback(c);
        return found == ROWS_REFUSED ? ROWS_REFUSED : -1;
    }
    *already = found;
    return 0;
}

int rows_mark_failed(PGconn *c, long long id, const char *step, const char *message, char *status, size_t n,
                     struct err *e)
{
    char rid[32];
    snprintf(rid, sizeof rid, "%lld", id);
    const char *q[] = {rid, step, message};
    PGresult *r = pg_exec(c, "marking the row failed",
                          "UPDATE results SET status = 'failed', failed_step = $2, failed_message = $3, "
                          "finished_at = now() "
                          "WHERE id = $1 AND result_key IS NULL AND status IN ('reserved', 'lost') RETURNING status",
                          3, q, e);
    int marked = r && PQntuples(r) == 1;
    if (r && !marked) {
        PQclear(r);
        r = pg_exec(c, "reading the row", "SELECT status FROM results WHERE id = $1", 1, q, e);
        if (r && PQntuples(r) == 0)
            err_set(e, EXIT_USAGE, "there is no result row %s (--result-id)", rid);
    }
    if (r && !e->status)
        snprintf(status, n, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    return e->status ? -1 : marked;
}

int rows_sweep(PGconn *c, double hours, long *count, struct err *e)
{
    char secs[64];
    snprintf(secs, sizeof secs, "%.17g", hours * 3600);
    const char *q[] = {secs};
    PGresult *r = pg_exec(c, "sweeping reserved rows",
                          "UPDATE results SET status = 'lost' "
                          "WHERE status = 'reserved' AND reserved_at < now() - make_interval(secs => $1::float8)",
                          1, q, e);
    if (!r)
        return -1;
    *count = atol(PQcmdTuples(r));
    PQclear(r);
    return 0;
}
