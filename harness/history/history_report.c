/* history_report.c: the report's queries and tables. The statistics are of
 * the ok runs only: a failed run's elapsed time measures its failure; the
 * counts show every run, lost and failed ones included. */
#include "history/history_report.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../staging/stage.h"
#include "history/changepoints.h"
#include "history/gate.h"
#include "base/utf8.h"
#include "history/history_html.h"
#include "db/pg.h"
#include "history/plot.h"
#include "history/report_data.h"
#include "history/report_jsonl.h"
#include "history/verdict.h"

/* A named suite by its name; a statement of its own ("custom") by itself. */
#define SUITE "CASE WHEN suite IS NULL OR suite = 'custom' THEN coalesce(import_statement, '') ELSE suite END"
#define SETUP "machine, filesystem, ranks, " SUITE " AS suite"
#define OK_ONLY "FILTER (WHERE status = 'ok')"
#define OK_FINITE "FILTER (WHERE status = 'ok' AND " FINITE_ELAPSED ")"
#define COUNTS                                                                                      \
    "count(*) AS runs, count(*) " OK_ONLY " AS ok, count(*) FILTER (WHERE status = 'failed') AS failed, " \
    "count(*) FILTER (WHERE status = 'timeout') AS timeout, count(*) FILTER (WHERE status = 'lost') AS lost, "
#define SECONDS(expr, name) "round((" expr ")::numeric, 3) AS " name
#define STATS                                                                                   \
    COUNTS SECONDS("percentile_cont(0.5) WITHIN GROUP (ORDER BY elapsed_s) " OK_FINITE, "median_s") ", " \
        SECONDS("percentile_cont(0.9) WITHIN GROUP (ORDER BY elapsed_s) " OK_FINITE, "p90_s") ", "      \
        SECONDS("min(elapsed_s) " OK_FINITE, "min_s") ", " SECONDS("max(elapsed_s) " OK_FINITE, "max_s")
#define WINDOW " FROM results WHERE run_at >= now() - make_interval(days => $1::integer) "

/* The server's load (README "The metadata server's load"): medians over
 * ok runs of the probe's total per run and per rank per import. */
#define SERVER_OPS                                                                                          \
    ", round(percentile_cont(0.5) WITHIN GROUP (ORDER BY server_ops_total) " OK_ONLY ")::bigint AS server_ops, " \
    "round((percentile_cont(0.5) WITHIN GROUP (ORDER BY json_number(result -> 'server_ops', 'per_rank_import')) " \
    OK_ONLY ")::numeric, 1) AS server_ops_per_rank"
static const char summary_sql[] = "SELECT " SETUP ", " STATS WINDOW "GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4";
static const char summary_probe_sql[] =
    "SELECT " SETUP ", " STATS SERVER_OPS WINDOW "GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4";
/* Whether any run of the window had a probe (one that failed too): else
 * the summary has no server_ops columns at all. */
static const char any_probe_sql[] = "SELECT EXISTS (SELECT 1" WINDOW "AND result ? 'server_ops')";
static const char by_hour_sql[] = "SELECT " SETUP ", extract(hour FROM run_at AT TIME ZONE 'UTC')::integer AS hour_utc, " STATS
    WINDOW "GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5";
static const char series_sql[] = "SELECT " SETUP ", extract(epoch FROM run_at) AS run_epoch, elapsed_s" WINDOW
                                 "AND status = 'ok' AND " FINITE_ELAPSED " ORDER BY 1, 2, 3, 4, run_at";

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

/* Which columns of R hold strings, by the server's name for their types'
 * category ('S': text, varchar, name...), so none is tested by number. */
static int *string_columns(PGconn *c, const PGresult *r, struct err *e)
{
    int cols = PQnfields(r);
    char oids[1024] = "{";
    for (int j = 0; j < cols; j++)
        snprintf(oids + strlen(oids), sizeof oids - strlen(oids), "%s%u", j ? "," : "", PQftype(r, j));
    strncat(oids, "}", sizeof oids - strlen(oids) - 1);
    const char *p[] = {oids};
    PGresult *t = pg_exec(c, "reading column types", "SELECT oid::bigint FROM pg_type "
                          "WHERE oid = ANY($1::oid[]) AND typcategory = 'S'", 1, p, e);
    if (!t)
        return NULL;
    int *left = calloc((size_t)cols + 1, sizeof *left);
    for (int i = 0; i < PQntuples(t); i++)
        for (int j = 0; j < cols; j++)
            left[j] |= (long long)PQftype(r, j) == atoll(PQgetvalue(t, i, 0));
    PQclear(t);
    return left;
}

/* Row I's column J as printed (I < 0: the header): "-" for NULL, and
 * the database's text made printable (a machine name holding an escape
 * sequence must not drive the terminal). A new string. */
static char *cell(const PGresult *r, int i, int j)
{
    return utf8_printable(i < 0 ? PQfname(r, j) : PQgetisnull(r, i, j) ? "-" : PQgetvalue(r, i, j));
}

/* Strings to the left, numbers to the right. */
static int print_table(PGconn *c, FILE *out, const PGresult *r, const char *title, struct err *e)
{
    int cols = PQnfields(r), rows = PQntuples(r);
    int *left = string_columns(c, r, e);
    if (!left)
        return -1;
    int *w = calloc((size_t)cols + 1, sizeof *w);
    for (int j = 0; j < cols; j++)
        for (int i = -1; i < rows; i++) {
            char *v = cell(r, i, j);
            w[j] = (int)strlen(v) > w[j] ? (int)strlen(v) : w[j];
            free(v);
        }
    fprintf(out, "%s\n", title);
    for (int i = -1; i < rows; i++) {
        for (int j = 0; j < cols; j++) {
            char *v = cell(r, i, j);
            fprintf(out, "%s%*s", j ? "  " : "", left[j] ? -w[j] : w[j], v);
            free(v);
        }
        fputc('\n', out);
    }
    fputc('\n', out);
    free(w);
    free(left);
    return 0;
}

/* The columns a series is drawn from, by name: the queries may gain
 * columns without moving what is plotted. */
struct series_cols {
    int machine, filesystem, ranks, suite, x, y;
};

static int find_cols(const PGresult *r, const char *x, const char *y, struct series_cols *k, struct err *e)
{
    *k = (struct series_cols){PQfnumber(r, "machine"), PQfnumber(r, "filesystem"), PQfnumber(r, "ranks"),
                              PQfnumber(r, "suite"), PQfnumber(r, x), PQfnumber(r, y)};
    if (k->machine < 0 || k->filesystem < 0 || k->ranks < 0 || k->suite < 0 || k->x < 0 || k->y < 0)
        return err_set(e, EXIT_RUNTIME, "report: a query lacks one of machine, filesystem, ranks, suite, %s, %s", x, y);
    return 0;
}

/* Points of (column X, column Y) per setup; rows with a NULL Y are skipped. */
static int collect(const PGresult *r, const char *x, const char *y, struct series_set *set, struct err *e)
{
    struct series_cols k;
    char label[2048];
    if (find_cols(r, x, y, &k, e) < 0)
        return -1;
    for (int i = 0; i < PQntuples(r); i++) {
        if (PQgetisnull(r, i, k.y))
            continue;
        snprintf(label, sizeof label, "%s / %s / %s ranks / %s", PQgetvalue(r, i, k.machine),
                 PQgetvalue(r, i, k.filesystem), PQgetisnull(r, i, k.ranks) ? "?" : PQgetvalue(r, i, k.ranks),
                 PQgetvalue(r, i, k.suite));
        series_add(set, label, atof(PQgetvalue(r, i, k.x)), atof(PQgetvalue(r, i, k.y)));
    }
    return 0;
}

/* DIR opened from / as a stage target: ours, writable by no other user,
 * no other user's symlink on the way; created if missing (readable by
 * all, as a report is). Its fd, or -1 with E (exit 3). */
static int open_out_dir(const char *dir, struct err *e)
{
    struct stat st;
    int fresh = lstat(dir, &st) < 0 && errno == ENOENT;
    int fd = stage_trusted_dir(dir, e);
    if (fd < 0)
        return err_wrap(e, "report directory: ");
    mode_t mask = umask(0);
    umask(mask);
    /* The stager makes a new directory owner-only until it is filled. */
    if (fresh && fchmod(fd, 0755 & ~mask) < 0) {
        close(fd);
        return err_sys(e, EXIT_RUNTIME, "report directory %s: chmod", dir);
    }
    return fd;
}

static int any_probe(PGconn *c, const char *const *p, int *yes, struct err *e)
{
    PGresult *r = pg_exec(c, "report probes", any_probe_sql, 1, p, e);
    if (!r)
        return -1;
    *yes = PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    PQclear(r);
    return 0;
}

/* Everything the verdict, the page and the gate read: the runs, their
 * change points (otava is required when the gate or an acceptance needs
 * them), the accepted baselines, and each setup's levels. */
struct analysis {
    struct history h;
    struct change_scan scan;
    struct gate g;
};

static int analyse(PGconn *c, const struct report_opts *o, struct analysis *a, FILE *out, struct err *e)
{
    struct gate_opts go = {o->fail_ratio > 0 ? o->fail_ratio : GATE_DEFAULT_RATIO, o->baseline_t,
                           o->conf ? o->conf->report.level_runs : 1};
    *a = (struct analysis){0};
    if (history_load(c, o->days, &a->h, e) < 0 || gate_load_accepted(c, &a->h, e) < 0 ||
        changes_find(&a->h, o->fail_ratio > 0 || o->accept, &a->scan, e) < 0)
        return -1;
    if (o->accept && (gate_accept(c, out, &a->h, &go, o->machine, o->filesystem, e) < 0 ||
                      gate_load_accepted(c, &a->h, e) < 0))
        return -1;
    gate_evaluate(&a->h, &go, &a->g);
    return 0;
}

static void analysis_free(struct analysis *a)
{
    gate_free(&a->g);
    history_free(&a->h);
}

/* --fail-on-regression's verdict: 1 when a setup is slower than its
 * baseline by more than the ratio, each named on OUT. */
static int gate_verdict(const struct report_opts *o, const struct analysis *a, FILE *out)
{
    return o->fail_ratio > 0 && gate_print(out, &a->h, &a->g) > 0;
}

static int tables_and_plots(PGconn *c, const struct report_opts *o, const char *dir, FILE *out, struct err *e)
{
    char d[16], title[256], window[64];
    snprintf(d, sizeof d, "%d", o->days);
    snprintf(window, sizeof window, "last %d days", o->days);
    const char *p[] = {d};
    struct series_set over_time = {0}, hours = {0};
    PGresult *sum = NULL, *hour = NULL, *series = NULL, *prof = NULL;
    struct analysis a = {0};
    struct verdict v = {0};
    int rc = -1, probed = 0, dfd = open_out_dir(dir, e);
    if (dfd < 0 || analyse(c, o, &a, out, e) < 0)
        goto out;
    verdict_build(&a.h, &a.g, &a.scan, &v);
    verdict_text(out, &v, window);
    if (any_probe(c, p, &probed, e) < 0 ||
        !(sum = pg_exec(c, "report summary", probed ? summary_probe_sql : summary_sql, 1, p, e)) ||
        !(hour = pg_exec(c, "report by hour", by_hour_sql, 1, p, e)) ||
        !(series = pg_exec(c, "report series", series_sql, 1, p, e)) ||
        !(prof = pg_exec(c, "report import profiles", profile_sql, 1, p, e)))
        goto out;
    snprintf(title, sizeof title, "Runs per setup, %s (elapsed_s statistics over ok runs, seconds%s)", window,
             probed ? "; server_ops: the probe's median total per run and per rank per import" : "");
    if (print_table(c, out, sum, title, e) < 0)
        goto out;
    snprintf(title, sizeof title, "The same by hour of day (UTC), %s", window);
    if (print_table(c, out, hour, title, e) < 0)
        goto out;
    snprintf(title, sizeof title, "Costliest modules of profiled runs (-X importtime, microseconds), %s", window);
    if (PQntuples(prof) > 0 && print_table(c, out, prof, title, e) < 0)
        goto out;
    if (collect(series, "run_epoch", "elapsed_s", &over_time, e) < 0 ||
        collect(hour, "hour_utc", "median_s", &hours, e) < 0)
        goto out;
    rc = plot_all(dfd, dir, &over_time, &hours, window, e);
    if (rc == 0 && over_time.n)
        fprintf(out, "plots: %s/elapsed.png, elapsed.svg, by_hour.png, by_hour.svg\n", dir);
    else if (rc == 0)
        fprintf(out, "no ok runs in the %s: no plots\n", window);
    if (rc == 0 && nonfinite_note(a.h.nonfinite))
        fprintf(out, "%s\n\n", nonfinite_note(a.h.nonfinite));
    if (rc == 0)
        changes_print(out, &a.h, &a.scan);
    if (rc == 0 && o->html) {
        struct html_input in = {sum, &a.h, &a.scan, &v, o->conf, window};
        rc = html_write(dfd, dir, &in, e);
        if (rc == 0)
            fprintf(out, "page: %s/report.html\n", dir);
    }
    if (rc == 0)
        rc = gate_verdict(o, &a, out);
out:
    if (dfd >= 0)
        close(dfd);
    verdict_free(&v);
    analysis_free(&a);
    PQclear(sum);
    PQclear(hour);
    PQclear(series);
    PQclear(prof);
    series_free(&over_time);
    series_free(&hours);
    return rc;
}

/* jsonl on stdout: the gate's lines go to stderr, keeping the stream parseable. */
static int jsonl_gate(PGconn *c, const struct report_opts *o, struct err *e)
{
    struct analysis a;
    int rc = analyse(c, o, &a, stderr, e);
    if (rc == 0)
        rc = gate_verdict(o, &a, stderr);
    analysis_free(&a);
    return rc;
}

int report_run(PGconn *c, const struct report_opts *o, FILE *out, struct err *e)
{
    if (!o->jsonl)
        return tables_and_plots(c, o, o->dir ? o->dir : "report", out, e);
    if (o->html)
        return err_set(e, EXIT_USAGE, "--html draws the tables' page: not with --format jsonl");
    int dfd = o->dir ? open_out_dir(o->dir, e) : -1;
    int rc = o->dir && dfd < 0 ? -1 : report_jsonl(c, o->days, dfd, o->dir, out, e);
    if (dfd >= 0)
        close(dfd);
    if (rc < 0)
        return -1;
    return o->fail_ratio > 0 || o->accept ? jsonl_gate(c, o, e) : 0;
}

int report_mode(const struct report_opts *o, struct err *e)
{
    PGconn *c = pg_connect(o->conf, e);
    if (!c)
        return -1;
    int rc = report_run(c, o, stdout, e);
    PQfinish(c);
    return rc;
}
