/* report_data.c: the one query of every run in the window, read by
 * column name, and the per-setup arrays the report's parts draw from. */
#include "history/report_data.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/pg.h"
#include "base/stats.h"

/* A named suite by its name; a statement of its own by itself (as the tables group). */
static const char runs_sql[] =
    "SELECT machine, filesystem, coalesce(ranks, 0) AS ranks,"
    " CASE WHEN suite IS NULL OR suite = 'custom' THEN coalesce(import_statement, '') ELSE suite END AS suite,"
    " extract(epoch FROM run_at) AS run_epoch, status, elapsed_s, coalesce(fs_kind, '') AS fs_kind,"
    " CASE WHEN time_to_first_import_s NOT IN ('NaN', 'Infinity', '-Infinity') THEN time_to_first_import_s END"
    "  AS first_import_s"
    " FROM results WHERE run_at >= now() - make_interval(days => $1::integer) AND status <> 'reserved'"
    " ORDER BY 1, 2, 3, 4, run_at, id";

struct cols {
    int machine, filesystem, ranks, suite, t, status, elapsed, kind, first;
};

static int find_cols(const PGresult *r, struct cols *k, struct err *e)
{
    *k = (struct cols){PQfnumber(r, "machine"), PQfnumber(r, "filesystem"), PQfnumber(r, "ranks"),
                       PQfnumber(r, "suite"),   PQfnumber(r, "run_epoch"),  PQfnumber(r, "status"),
                       PQfnumber(r, "elapsed_s"), PQfnumber(r, "fs_kind"), PQfnumber(r, "first_import_s")};
    if (k->machine < 0 || k->filesystem < 0 || k->ranks < 0 || k->suite < 0 || k->t < 0 || k->status < 0 ||
        k->elapsed < 0 || k->kind < 0 || k->first < 0)
        return err_set(e, EXIT_RUNTIME, "report: the runs query lacks a column it names");
    return 0;
}

static enum run_state state_of(const char *status)
{
    if (strcmp(status, "ok") == 0)
        return RUN_OK;
    if (strcmp(status, "timeout") == 0)
        return RUN_TIMEOUT;
    return strcmp(status, "lost") == 0 ? RUN_LOST : RUN_FAILED;
}

/* The setup of row I: the last one when the row continues it, else a new one. */
static struct setup *setup_for(struct history *h, const PGresult *r, int i, const struct cols *k)
{
    const char *m = PQgetvalue(r, i, k->machine), *fs = PQgetvalue(r, i, k->filesystem);
    const char *suite = PQgetvalue(r, i, k->suite);
    int ranks = atoi(PQgetvalue(r, i, k->ranks));
    struct setup *s = h->n ? &h->s[h->n - 1] : NULL;
    if (s && s->ranks == ranks && !strcmp(s->machine, m) && !strcmp(s->filesystem, fs) && !strcmp(s->suite, suite))
        return s;
    h->s = realloc(h->s, (size_t)(h->n + 1) * sizeof *h->s);
    s = &h->s[h->n++];
    *s = (struct setup){.machine = strdup(m), .filesystem = strdup(fs), .suite = strdup(suite), .ranks = ranks,
                        .kind = strdup("")};
    return s;
}

static void add_run(struct setup *s, struct run_point p)
{
    if (s->nruns == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 64;
        s->runs = realloc(s->runs, (size_t)s->cap * sizeof *s->runs);
    }
    s->runs[s->nruns++] = p;
}

static void split_ok(struct setup *s)
{
    s->ok_t = malloc((size_t)(s->nruns + 1) * sizeof *s->ok_t);
    s->ok_y = malloc((size_t)(s->nruns + 1) * sizeof *s->ok_y);
    s->ok_first = malloc((size_t)(s->nruns + 1) * sizeof *s->ok_first);
    for (int i = 0; i < s->nruns; i++)
        if (s->runs[i].state == RUN_OK && !isnan(s->runs[i].elapsed)) {
            s->ok_t[s->nok] = s->runs[i].t;
            s->ok_first[s->nok] = s->runs[i].first_import;
            s->ok_y[s->nok++] = s->runs[i].elapsed;
        }
}

int history_load(PGconn *c, int days, struct history *h, struct err *e)
{
    char d[16];
    snprintf(d, sizeof d, "%d", days);
    const char *p[] = {d};
    *h = (struct history){0};
    PGresult *r = pg_exec(c, "report runs", runs_sql, 1, p, e);
    struct cols k;
    if (!r || find_cols(r, &k, e) < 0) {
        PQclear(r);
        return -1;
    }
    for (int i = 0; i < PQntuples(r); i++) {
        struct setup *s = setup_for(h, r, i, &k);
        enum run_state st = state_of(PQgetvalue(r, i, k.status));
        int timed = st == RUN_OK && !PQgetisnull(r, i, k.elapsed);
        double y = timed ? atof(PQgetvalue(r, i, k.elapsed)) : NAN;
        /* Drawn nowhere (one Infinity would scale a panel's axis to NaN),
         * counted, and said. */
        h->nonfinite += timed && !isfinite(y);
        double first = PQgetisnull(r, i, k.first) ? y : atof(PQgetvalue(r, i, k.first));
        add_run(s, (struct run_point){atof(PQgetvalue(r, i, k.t)), isfinite(y) ? y : NAN, first, st});
        if (PQgetvalue(r, i, k.kind)[0] && strcmp(s->kind, PQgetvalue(r, i, k.kind))) {
            free(s->kind);
            s->kind = strdup(PQgetvalue(r, i, k.kind));
        }
    }
    PQclear(r);
    for (int i = 0; i < h->n; i++)
        split_ok(&h->s[i]);
    return 0;
}

const char *nonfinite_note(int n)
{
    static char note[160];
    if (n <= 0)
        return NULL;
    snprintf(note, sizeof note, "%d run%s skipped: elapsed_s is not a finite number (NaN or Infinity)", n,
             n == 1 ? "" : "s");
    return note;
}

void history_free(struct history *h)
{
    for (int i = 0; i < h->n; i++) {
        struct setup *s = &h->s[i];
        free(s->machine);
        free(s->filesystem);
        free(s->suite);
        free(s->kind);
        free(s->runs);
        free(s->ok_first);
        free(s->ok_t);
        free(s->ok_y);
        free(s->changes);
    }
    free(h->s);
    *h = (struct history){0};
}

void setup_label(const struct setup *s, char *buf, size_t len)
{
    snprintf(buf, len, "%s / %s / %d ranks / %s", s->machine, s->filesystem, s->ranks, s->suite);
}

double median_of(const double *v, int n)
{
    struct stats st;
    if (n <= 0)
        return NAN;
    stats_compute(v, (size_t)n, &st);
    return st.median;
}
