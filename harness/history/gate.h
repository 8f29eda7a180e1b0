/* gate.h: the regression gate: each setup's current level against a
 * baseline level, the setups slower than a ratio, and accepted baselines. */
#ifndef GATE_H
#define GATE_H

#include <libpq-fe.h>
#include <stdio.h>

#include "base/err.h"
#include "history/report_data.h"

/* The ratio the verdict judges by when --fail-on-regression gives none. */
#define GATE_DEFAULT_RATIO 1.2

enum baseline_kind {
    BASELINE_NONE,      /* no change point in the window and nothing pinned: now is the baseline */
    BASELINE_EARLIEST,  /* the level before the window's earliest change point */
    BASELINE_DATE,      /* --baseline DATE: the level the setup had then */
    BASELINE_ACCEPTED,  /* stored by --accept-baseline */
};

/* A level: the median of the ok runs [from, to) of a setup, from T0 to T1. */
struct level {
    double median, t0, t1;
    int from, to;
};

struct gate_row {
    int setup;                 /* its index in the history */
    enum baseline_kind kind;
    struct level now, base;    /* BASELINE_ACCEPTED: base holds the stored median, since and runs */
    double ratio;              /* now / base */
    int cfrom, cto;            /* the setup's change points [cfrom, cto) between the two levels */
    int regression;            /* ratio above the gate's */
};

struct gate {
    struct gate_row *rows;     /* one per setup with an ok run */
    int n, regressions;
    double ratio;
};

struct gate_opts {
    double ratio;              /* > 1 */
    double baseline_t;         /* --baseline as unix seconds; 0: none */
    int level_runs;            /* the config's report.level_runs */
};

/* Sets each setup's accepted baseline from the database. */
int gate_load_accepted(PGconn *c, struct history *h, struct err *e);

/* The gate over H, its change points found and measured. A --baseline
 * before a setup's first run takes its first level. */
void gate_evaluate(const struct history *h, const struct gate_opts *o, struct gate *g);
void gate_free(struct gate *g);

/* The setups failing the gate, each named on OUT with both levels, their
 * dates and every change point between them. Returns their count. */
int gate_print(FILE *out, const struct history *h, const struct gate *g);

/* R's change points between its two levels, "DATE xRATIO" apart by SEP, or "none". */
void gate_changes_between(FILE *out, const struct setup *s, const struct gate_row *r, const char *sep);

/* --accept-baseline: stores each setup's current level (of MACHINE and
 * FILESYSTEM when not NULL) as its baseline, one line each on OUT. */
int gate_accept(PGconn *c, FILE *out, const struct history *h, const struct gate_opts *o, const char *machine,
                const char *filesystem, struct err *e);

/* What a baseline is, for the reader: "before the earliest change point". */
const char *baseline_what(enum baseline_kind k);

#endif
