/* history_html.h: --report --html: one self-contained page (inline CSS
 * and SVG, no script, nothing fetched) with the change points, the
 * summary table and, per machine, the panels over time, by hour and of scaling. */
#ifndef HISTORY_HTML_H
#define HISTORY_HTML_H

#include <libpq-fe.h>

#include "history/changepoints.h"
#include "config/config.h"
#include "base/err.h"
#include "history/report_data.h"
#include "history/verdict.h"

struct html_input {
    const PGresult *summary;          /* the summary table, drawn column by column */
    const struct history *h;
    const struct change_scan *scan;
    const struct verdict *verdict;    /* the page's first section */
    const struct config *conf;        /* for each machine's largest configured size */
    const char *window;               /* "last 60 days" */
};

/* Writes report.html into DFD, the directory DIR (atomically, never
 * through a link standing there). */
int html_write(int dfd, const char *dir, const struct html_input *in, struct err *e);

#endif
