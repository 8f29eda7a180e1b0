/* report_data.h: every run of the report's window, grouped by setup
 * (machine, filesystem, ranks, suite) in time order, read once from the
 * database for the HTML page, the change points and the scaling fits. */
#ifndef REPORT_DATA_H
#define REPORT_DATA_H

#include <libpq-fe.h>

#include "base/err.h"

enum run_state { RUN_OK, RUN_FAILED, RUN_TIMEOUT, RUN_LOST };

struct run_point {
    double t;            /* run_at, unix seconds */
    double elapsed;      /* seconds; NAN unless the run is ok with a time */
    double first_import; /* time_to_first_import_s, else elapsed (rows recorded before it existed) */
    enum run_state state;
};

/* A shift in a setup's series of ok runs, as the change-point tool found it. */
struct change {
    double t;            /* the first ok run after the shift */
    int index;           /* its index among the setup's ok runs */
    double median_before, median_after, ratio; /* medians of the segments on either side */
    double pvalue;       /* the tool's significance test */
};

struct setup {
    char *machine, *filesystem, *suite;
    char *kind;          /* fs_kind of its latest row that has one; "" for none */
    int ranks;           /* 0 when the rows had none */
    struct run_point *runs;
    int nruns, cap;
    double *ok_t, *ok_y; /* the ok runs with a time, in time order */
    double *ok_first;    /* their time to first import (staging + import) */
    int nok;
    struct change *changes;
    int nchanges;
    /* --accept-baseline's level for this setup, if one is stored. */
    int accepted;
    double accepted_level, accepted_since;
};

struct history {
    struct setup *s;
    int n;
    int nonfinite;       /* ok runs whose elapsed_s is NaN or infinite: skipped */
};

/* SQL: elapsed_s is a number to draw and to count in a statistic. PostgreSQL
 * takes 'NaN' and 'Infinity' into a float8 column, from any client; the
 * harness never records them. */
#define FINITE_ELAPSED "elapsed_s NOT IN ('NaN', 'Infinity', '-Infinity')"
/* What the report says of the runs it skipped for that, or NULL for none.
 * Static text until the next call. */
const char *nonfinite_note(int n);

/* Reads the runs of the last DAYS (reserved rows excluded) into H. */
int history_load(PGconn *c, int days, struct history *h, struct err *e);
void history_free(struct history *h);

/* "machine / filesystem / N ranks / suite", the label the tables use. */
void setup_label(const struct setup *s, char *buf, size_t len);

/* The median of N values (not changed); NAN for none. */
double median_of(const double *v, int n);

#endif
