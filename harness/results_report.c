/* results_report.c: the report's queries and tables. The statistics are of
 * the ok runs only: a failed run's elapsed time measures its failure; the
 * counts show every run, lost and failed ones included. */
#include "results_report.h"

#include <stdlib.h>
#include <string.h>

#include "paths.h"
#include "results_pg.h"
#include "results_plot.h"

/* A named suite by its name; a statement of its own ("custom") by itself. */
#define SUITE "CASE WHEN suite IS NULL OR suite = 'custom' THEN coalesce(import_statement, '') ELSE suite END"
#define SETUP "machine, filesystem, ranks, " SUITE " AS suite"
#define OK_ONLY "FILTER (WHERE status = 'ok')"
#define COUNTS                                                                                      \
    "count(*) AS runs, count(*) " OK_ONLY " AS ok, count(*) FILTER (WHERE status = 'failed') AS failed, " \
    "count(*) FILTER (WHERE status = 'timeout') AS timeout, count(*) FILTER (WHERE status = 'lost') AS lost, "
#define SECONDS(expr, name) "round((" expr ")::numeric, 3) AS " name
#define STATS                                                                                   \
    COUNTS SECONDS("percentile_cont(0.5) WITHIN GROUP (ORDER BY elapsed_s) " OK_ONLY, "median_s") ", " \
        SECONDS("percentile_cont(0.9) WITHIN GROUP (ORDER BY elapsed_s) " OK_ONLY, "p90_s") ", "      \
        SECONDS("min(elapsed_s) " OK_ONLY, "min_s") ", " SECONDS("max(elapsed_s) " OK_ONLY, "max_s")
#define WINDOW " FROM results WHERE run_at >= now() - make_interval(days => $1::integer) "

static const char summary_sql[] = "SELECT " SETUP ", " STATS WINDOW "GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4";
static const char by_hour_sql[] = "SELECT " SETUP ", extract(hour FROM run_at AT TIME ZONE 'UTC')::integer AS hour_utc, " STATS
    WINDOW "GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5";
static const char series_sql[] = "SELECT " SETUP ", extract(epoch FROM run_at), elapsed_s" WINDOW
                                 "AND status = 'ok' AND elapsed_s IS NOT NULL ORDER BY 1, 2, 3, 4, run_at";

/* --profile-imports runs: per setup, the ten modules with the largest
 * median (over runs) of their per-run median self time. */
static const char profile_sql[] =
    "SELECT machine, filesystem, suite, module, runs, self_us, cumulative_us FROM ("
    " SELECT machine, filesystem, " SUITE " AS suite, m ->> 'module' AS module, count(*) AS runs,"
    "  round(percentile_cont(0.5) WITHIN GROUP (ORDER BY (m -> 'self_us' ->> 'median')::float8)) AS self_us,"
    "  round(percentile_cont(0.5) WITHIN GROUP (ORDER BY (m -> 'cumulative_us' ->> 'median')::float8))"
    "   AS cumulative_us,"
    "  row_number() OVER (PARTITION BY machine, filesystem, " SUITE
    "   ORDER BY percentile_cont(0.5) WITHIN GROUP (ORDER BY (m -> 'self_us' ->> 'median')::float8) DESC) AS n"
    " FROM results, jsonb_array_elements(import_profile -> 'modules') AS m"
    " WHERE run_at >= now() - make_interval(days => $1::integer) AND status = 'ok'"
    "  AND jsonb_typeof(import_profile -> 'modules') = 'array'"
    " GROUP BY 1, 2, 3, 4) AS ranked WHERE n <= 10 ORDER BY 1, 2, 3, self_us DESC";

/* Text columns to the left, numbers to the right, "-" for NULL. */
static void print_table(FILE *out, const PGresult *r, const char *title)
{
    int cols = PQnfields(r), rows = PQntuples(r);
    int *w = calloc((size_t)cols, sizeof *w);
    for (int j = 0; j < cols; j++) {
        w[j] = (int)strlen(PQfname(r, j));
        for (int i = 0; i < rows; i++)
            if (PQgetlength(r, i, j) > w[j])
                w[j] = PQgetlength(r, i, j);
    }
    fprintf(out, "%s\n", title);
    for (int i = -1; i < rows; i++) {
        for (int j = 0; j < cols; j++) {
            const char *v = i < 0 ? PQfname(r, j) : PQgetisnull(r, i, j) ? "-" : PQgetvalue(r, i, j);
            int left = PQftype(r, j) == 25 /* text */;
            fprintf(out, "%s%*s", j ? "  " : "", left ? -w[j] : w[j], v);
        }
        fputc('\n', out);
    }
    fputc('\n', out);
    free(w);
}

static void setup_label(const PGresult *r, int i, char *buf, size_t n)
{
    snprintf(buf, n, "%s / %s / %s ranks / %s", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1),
             PQgetisnull(r, i, 2) ? "?" : PQgetvalue(r, i, 2), PQgetvalue(r, i, 3));
}

/* Points of (column X, column Y) per setup; rows with a NULL Y are skipped. */
static void collect(const PGresult *r, int xcol, int ycol, struct series_set *set)
{
    char label[2048];
    for (int i = 0; i < PQntuples(r); i++) {
        if (PQgetisnull(r, i, ycol))
            continue;
        setup_label(r, i, label, sizeof label);
        series_add(set, label, atof(PQgetvalue(r, i, xcol)), atof(PQgetvalue(r, i, ycol)));
    }
}

int report_run(PGconn *c, int days, const char *dir, FILE *out, struct err *e)
{
    char d[16], title[256], window[64];
    snprintf(d, sizeof d, "%d", days);
    snprintf(window, sizeof window, "last %d days", days);
    const char *p[] = {d};
    struct series_set over_time = {0}, hours = {0};
    PGresult *sum = NULL, *hour = NULL, *series = NULL, *prof = NULL;
    int rc = -1;
    if (make_dirs(dir, e) < 0 || !(sum = pg_exec(c, "report summary", summary_sql, 1, p, e)) ||
        !(hour = pg_exec(c, "report by hour", by_hour_sql, 1, p, e)) ||
        !(series = pg_exec(c, "report series", series_sql, 1, p, e)) ||
        !(prof = pg_exec(c, "report import profiles", profile_sql, 1, p, e)))
        goto out;
    snprintf(title, sizeof title, "Runs per setup, %s (elapsed_s statistics over ok runs, seconds)", window);
    print_table(out, sum, title);
    snprintf(title, sizeof title, "The same by hour of day (UTC), %s", window);
    print_table(out, hour, title);
    if (PQntuples(prof) > 0) {
        snprintf(title, sizeof title, "Costliest modules of profiled runs (-X importtime, microseconds), %s", window);
        print_table(out, prof, title);
    }
    collect(series, 4, 5, &over_time);
    collect(hour, 4, 10, &hours);
    rc = plot_all(dir, &over_time, &hours, window, e);
    if (rc == 0 && over_time.n)
        fprintf(out, "plots: %s/elapsed.png, elapsed.svg, by_hour.png, by_hour.svg\n", dir);
    else if (rc == 0)
        fprintf(out, "no ok runs in the %s: no plots\n", window);
out:
    PQclear(sum);
    PQclear(hour);
    PQclear(series);
    PQclear(prof);
    series_free(&over_time);
    series_free(&hours);
    return rc;
}
