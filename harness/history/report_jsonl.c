/* report_jsonl.c: a row per result, its columns read by name, written as
 * ReFrame names them (check_system, check_partition, check_perf_var...):
 * the machine is the system, the filesystem the partition, and the
 * reference the setup's median over the window's ok runs. */
#include "history/report_jsonl.h"

#include <json-c/json.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/atomic_write.h"
#include "db/pg.h"
#include "history/report_data.h"

#define SUITE "CASE WHEN suite IS NULL OR suite = 'custom' THEN coalesce(import_statement, '') ELSE suite END"

static const char rows_sql[] =
    "WITH w AS (SELECT *, " SUITE " AS suite_name FROM results"
    "  WHERE run_at >= now() - make_interval(days => $1::integer) AND status <> 'reserved'),"
    " ref AS (SELECT machine, filesystem, ranks, suite_name,"
    "  percentile_cont(0.5) WITHIN GROUP (ORDER BY elapsed_s) FILTER (WHERE status = 'ok' AND " FINITE_ELAPSED ")"
    "  AS reference"
    "  FROM w GROUP BY 1, 2, 3, 4)"
    " SELECT w.id, w.machine, w.filesystem, w.fs_kind, w.ranks, w.nodes, w.suite_name AS suite, w.import_statement,"
    "  w.job_id, w.status, w.elapsed_s, to_char(w.run_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
    "  AS run_at, ref.reference"
    " FROM w JOIN ref ON ref.machine = w.machine AND ref.filesystem = w.filesystem"
    "  AND ref.ranks IS NOT DISTINCT FROM w.ranks AND ref.suite_name = w.suite_name"
    " ORDER BY w.run_at, w.id";

static const char *const columns[] = {"id", "machine", "filesystem", "fs_kind", "ranks", "nodes", "suite",
                                      "import_statement", "job_id", "status", "elapsed_s", "run_at", "reference"};
enum { C_ID, C_MACHINE, C_FS, C_KIND, C_RANKS, C_NODES, C_SUITE, C_STMT, C_JOB, C_STATUS, C_ELAPSED, C_AT, C_REF, NCOLS };

static json_object *text(const PGresult *r, int i, int col)
{
    return PQgetisnull(r, i, col) ? NULL : json_object_new_string(PQgetvalue(r, i, col));
}

static json_object *number(const PGresult *r, int i, int col)
{
    return PQgetisnull(r, i, col) ? NULL : json_object_new_double(atof(PQgetvalue(r, i, col)));
}

static json_object *integer(const PGresult *r, int i, int col)
{
    return PQgetisnull(r, i, col) ? NULL : json_object_new_int64(atoll(PQgetvalue(r, i, col)));
}

/* JSON has no NaN or Infinity: json-c would print the bare tokens, and no
 * reader takes the line. */
static int finite_or_null(const PGresult *r, int i, int col)
{
    return PQgetisnull(r, i, col) || isfinite(atof(PQgetvalue(r, i, col)));
}

static void line(FILE *f, const PGresult *r, int i, const int *k)
{
    json_object *o = json_object_new_object();
    char name[1024];
    snprintf(name, sizeof name, "mpi4py_import %%suite=%s %%partition=%s %%num_tasks=%s", PQgetvalue(r, i, k[C_SUITE]),
             PQgetvalue(r, i, k[C_FS]), PQgetisnull(r, i, k[C_RANKS]) ? "?" : PQgetvalue(r, i, k[C_RANKS]));
    json_object_object_add(o, "check_name", json_object_new_string("mpi4py_import"));
    json_object_object_add(o, "check_display_name", json_object_new_string(name));
    json_object_object_add(o, "check_system", text(r, i, k[C_MACHINE]));
    json_object_object_add(o, "check_partition", text(r, i, k[C_FS]));
    json_object_object_add(o, "check_environ", text(r, i, k[C_SUITE]));
    json_object_object_add(o, "check_num_tasks", integer(r, i, k[C_RANKS]));
    json_object_object_add(o, "check_perf_var", json_object_new_string("elapsed"));
    json_object_object_add(o, "check_perf_value", number(r, i, k[C_ELAPSED]));
    json_object_object_add(o, "check_perf_unit", json_object_new_string("s"));
    json_object_object_add(o, "check_perf_ref", number(r, i, k[C_REF]));
    json_object_object_add(o, "check_perf_lower_thres", NULL);
    json_object_object_add(o, "check_perf_upper_thres", NULL);
    json_object_object_add(o, "check_result",
                           json_object_new_string(strcmp(PQgetvalue(r, i, k[C_STATUS]), "ok") ? "fail" : "pass"));
    json_object_object_add(o, "check_job_completion_time", text(r, i, k[C_AT]));
    json_object_object_add(o, "check_jobid", text(r, i, k[C_JOB]));
    json_object_object_add(o, "result_id", integer(r, i, k[C_ID]));
    json_object_object_add(o, "status", text(r, i, k[C_STATUS]));
    json_object_object_add(o, "fs_kind", text(r, i, k[C_KIND]));
    json_object_object_add(o, "nodes", integer(r, i, k[C_NODES]));
    json_object_object_add(o, "import_statement", text(r, i, k[C_STMT]));
    fputs(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE), f);
    fputc('\n', f);
    json_object_put(o);
}

int report_jsonl(PGconn *c, int days, int dfd, const char *dir, FILE *out, struct err *e)
{
    char d[16];
    snprintf(d, sizeof d, "%d", days);
    const char *p[] = {d};
    PGresult *r = pg_exec(c, "report results as jsonl", rows_sql, 1, p, e);
    if (!r)
        return -1;
    int k[NCOLS];
    for (int j = 0; j < NCOLS; j++)
        if ((k[j] = PQfnumber(r, columns[j])) < 0) {
            PQclear(r);
            return err_set(e, EXIT_RUNTIME, "report: the jsonl query lacks column %s", columns[j]);
        }
    char *buf = NULL, path[4200];
    size_t len = 0;
    FILE *f = dir ? open_memstream(&buf, &len) : out;
    int skipped = 0;
    for (int i = 0; f && i < PQntuples(r); i++) {
        int finite = finite_or_null(r, i, k[C_ELAPSED]) && finite_or_null(r, i, k[C_REF]);
        skipped += !finite;
        if (finite)
            line(f, r, i, k);
    }
    PQclear(r);
    /* Said apart from the lines: stdout may be the stream itself. */
    if (nonfinite_note(skipped))
        fprintf(dir ? out : stderr, "report: %s\n", nonfinite_note(skipped));
    if (!dir)
        return fflush(out) == 0 ? 0 : err_sys(e, EXIT_RUNTIME, "report: writing jsonl");
    if (!f)
        return err_sys(e, EXIT_RUNTIME, "report: open_memstream");
    fclose(f);
    snprintf(path, sizeof path, "%s/results.jsonl", dir);
    int rc = atomic_write_at(dfd, "results.jsonl", path, buf, len, 0644, e);
    free(buf);
    return rc;
}
