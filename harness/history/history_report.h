/* history_report.h: --report: per setup (machine, filesystem, ranks,
 * import statement) over the last DAYS: run counts and the distribution
 * of elapsed_s, overall and by hour of day, as tables and plots. */
#ifndef HISTORY_REPORT_H
#define HISTORY_REPORT_H

#include <libpq-fe.h>
#include <stdio.h>

#include "config/config.h"
#include "base/err.h"

struct report_opts {
    int days;                 /* the window */
    const char *dir;          /* --out; NULL: "report" (tables) or stdout (jsonl) */
    int html;                 /* also DIR/report.html */
    int jsonl;                /* results as JSON lines instead of tables and plots */
    double fail_ratio;        /* > 0: a current level this much slower than its baseline fails */
    double baseline_t;        /* --baseline: unix seconds; 0: none */
    int accept;               /* --accept-baseline */
    const char *machine, *filesystem; /* what --accept-baseline accepts; NULL: every one */
    const struct config *conf;
};

/* Prints the tables and change points on OUT and draws the plots (and the
 * page) into the directory (created); or writes the JSON lines. Returns
 * 0, 1 when --fail-on-regression found a slowdown, or -1 with E set. */
int report_run(PGconn *c, const struct report_opts *o, FILE *out, struct err *e);
/* --report: report_run over the configured database, on stdout. */
int report_mode(const struct report_opts *o, struct err *e);

#endif
