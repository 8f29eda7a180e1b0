/* gate.c: levels, not steps: a slowdown that arrives in two steps under
 * the ratio each is caught, and one that came back is not. */
#include "history/gate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "db/pg.h"
#include "history/changepoints.h"

static const char accepted_sql[] =
    "SELECT machine, filesystem, ranks, suite, level_s, extract(epoch FROM since) FROM accepted_baselines";

static const char accept_sql[] =
    "INSERT INTO accepted_baselines (machine, filesystem, ranks, suite, level_s, since, runs)"
    " VALUES ($1, $2, $3::integer, $4, $5::float8, to_timestamp($6::float8), $7::integer)"
    " ON CONFLICT (machine, filesystem, ranks, suite) DO UPDATE SET level_s = EXCLUDED.level_s,"
    " since = EXCLUDED.since, runs = EXCLUDED.runs, accepted_at = now()";

static struct setup *find_setup(struct history *h, const PGresult *r, int i)
{
    for (int k = 0; k < h->n; k++) {
        struct setup *s = &h->s[k];
        if (!strcmp(s->machine, PQgetvalue(r, i, 0)) && !strcmp(s->filesystem, PQgetvalue(r, i, 1)) &&
            s->ranks == atoi(PQgetvalue(r, i, 2)) && !strcmp(s->suite, PQgetvalue(r, i, 3)))
            return s;
    }
    return NULL;
}

int gate_load_accepted(PGconn *c, struct history *h, struct err *e)
{
    PGresult *r = pg_exec(c, "report: accepted baselines (--db-init makes the table)", accepted_sql, 0, NULL, e);
    if (!r)
        return -1;
    for (int i = 0; i < PQntuples(r); i++) {
        struct setup *s = find_setup(h, r, i);
        if (!s)
            continue;
        s->accepted = 1;
        s->accepted_level = atof(PQgetvalue(r, i, 4));
        s->accepted_since = atof(PQgetvalue(r, i, 5));
    }
    PQclear(r);
    return 0;
}

static struct level level_of(const struct setup *s, int from, int to)
{
    return (struct level){median_of(s->ok_y + from, to - from), s->ok_t[from], s->ok_t[to - 1], from, to};
}

/* Since the latest change point, or the last K runs where there is none. */
static struct level current_level(const struct setup *s, int k)
{
    int from = s->nchanges ? s->changes[s->nchanges - 1].index : (s->nok > k ? s->nok - k : 0);
    return level_of(s, from, s->nok);
}

/* The segment between change points that holds the last run before T
 * (the first segment when no run is). */
static struct level level_at(const struct setup *s, double t)
{
    int before = 0;
    while (before < s->nok && s->ok_t[before] < t)
        before++;
    int at = before ? before - 1 : 0, from = 0, to = s->nok;
    for (int k = 0; k < s->nchanges; k++) {
        if (s->changes[k].index <= at)
            from = s->changes[k].index;
        else if (s->changes[k].index < to)
            to = s->changes[k].index;
    }
    return level_of(s, from, to);
}

/* The change points after the baseline began, up to the current level's start. */
static void changes_between(const struct setup *s, struct gate_row *r)
{
    r->cfrom = s->nchanges, r->cto = 0;
    for (int k = 0; k < s->nchanges; k++) {
        const struct change *c = &s->changes[k];
        int after = r->kind == BASELINE_ACCEPTED ? c->t > r->base.t0 : c->index > r->base.from;
        if (after && c->index <= r->now.from) {
            r->cfrom = k < r->cfrom ? k : r->cfrom;
            r->cto = k + 1;
        }
    }
    if (r->cto < r->cfrom)
        r->cfrom = r->cto = 0;
}

static void baseline(const struct setup *s, const struct gate_opts *o, struct gate_row *r)
{
    if (o->baseline_t > 0) {
        r->kind = BASELINE_DATE;
        r->base = level_at(s, o->baseline_t);
    } else if (s->accepted) {
        r->kind = BASELINE_ACCEPTED;
        r->base = (struct level){s->accepted_level, s->accepted_since, s->accepted_since, -1, -1};
    } else if (s->nchanges) {
        r->kind = BASELINE_EARLIEST;
        r->base = level_of(s, 0, s->changes[0].index);
    } else {
        r->kind = BASELINE_NONE;
        r->base = r->now;
    }
}

void gate_evaluate(const struct history *h, const struct gate_opts *o, struct gate *g)
{
    *g = (struct gate){.rows = calloc((size_t)h->n + 1, sizeof *g->rows), .ratio = o->ratio};
    for (int i = 0; i < h->n; i++) {
        const struct setup *s = &h->s[i];
        if (!s->nok)
            continue;
        struct gate_row *r = &g->rows[g->n++];
        *r = (struct gate_row){.setup = i, .now = current_level(s, o->level_runs)};
        baseline(s, o, r);
        changes_between(s, r);
        r->ratio = r->base.median > 0 ? r->now.median / r->base.median : NAN;
        r->regression = r->ratio > o->ratio;
        g->regressions += r->regression;
    }
}

void gate_free(struct gate *g)
{
    free(g->rows);
    *g = (struct gate){0};
}

const char *baseline_what(enum baseline_kind k)
{
    switch (k) {
    case BASELINE_EARLIEST: return "the level before the window's earliest change point";
    case BASELINE_DATE: return "the level at --baseline";
    case BASELINE_ACCEPTED: return "the baseline accepted with --accept-baseline";
    default: return "no change point: the current level";
    }
}

static void print_row(FILE *out, const struct setup *s, const struct gate_row *r, double ratio)
{
    char now0[64], base0[64], base1[64], *label = setup_text_label(s);
    format_utc(r->now.t0, now0, sizeof now0);
    format_utc(r->base.t0, base0, sizeof base0);
    format_utc(r->base.t1, base1, sizeof base1);
    fprintf(out, "regression: %s: %.2fx slower, more than %.2fx: now %.3f s (median of %d runs since %s) against %.3f s "
            "(%s, ", label, r->ratio, ratio, r->now.median, r->now.to - r->now.from, now0, r->base.median,
            baseline_what(r->kind));
    if (r->kind == BASELINE_ACCEPTED)
        fprintf(out, "since %s)", base0);
    else
        fprintf(out, "%d runs from %s to %s)", r->base.to - r->base.from, base0, base1);
    fputs("; change points between: ", out);
    gate_changes_between(out, s, r, ", ");
    fputc('\n', out);
    free(label);
}

void gate_changes_between(FILE *out, const struct setup *s, const struct gate_row *r, const char *sep)
{
    for (int k = r->cfrom; k < r->cto; k++) {
        char when[64];
        format_utc(s->changes[k].t, when, sizeof when);
        fprintf(out, "%s%s x%.2f", k > r->cfrom ? sep : "", when, s->changes[k].ratio);
    }
    if (r->cto <= r->cfrom)
        fputs("none", out);
}

int gate_print(FILE *out, const struct history *h, const struct gate *g)
{
    for (int i = 0; i < g->n; i++)
        if (g->rows[i].regression)
            print_row(out, &h->s[g->rows[i].setup], &g->rows[i], g->ratio);
    return g->regressions;
}

static int store(PGconn *c, const struct setup *s, const struct level *l, struct err *e)
{
    char ranks[16], level[32], since[32], runs[16];
    snprintf(ranks, sizeof ranks, "%d", s->ranks);
    snprintf(level, sizeof level, "%.17g", l->median);
    snprintf(since, sizeof since, "%.6f", l->t0);
    snprintf(runs, sizeof runs, "%d", l->to - l->from);
    const char *p[] = {s->machine, s->filesystem, ranks, s->suite, level, since, runs};
    return pg_command(c, "report: --accept-baseline", accept_sql, 7, p, e);
}

int gate_accept(PGconn *c, FILE *out, const struct history *h, const struct gate_opts *o, const char *machine,
                const char *filesystem, struct err *e)
{
    int n = 0;
    for (int i = 0; i < h->n; i++) {
        const struct setup *s = &h->s[i];
        if (!s->nok || (machine && strcmp(machine, s->machine)) || (filesystem && strcmp(filesystem, s->filesystem)))
            continue;
        struct level now = current_level(s, o->level_runs);
        if (store(c, s, &now, e) < 0)
            return -1;
        char when[64], *label = setup_text_label(s);
        format_utc(now.t0, when, sizeof when);
        fprintf(out, "accepted baseline: %s: %.3f s (median of %d runs since %s)\n", label, now.median,
                now.to - now.from, when);
        free(label);
        n++;
    }
    if (!n)
        return err_set(e, EXIT_USAGE, "--accept-baseline: no setup with an ok run%s%s%s%s in the window",
                       machine ? " on machine " : "", machine ? machine : "", filesystem ? " and filesystem " : "",
                       filesystem ? filesystem : "");
    return 0;
}
