/* history_report.h: --report: per setup (machine, filesystem, ranks,
 * import statement) over the last DAYS: run counts and the distribution
 * of elapsed_s, overall and by hour of day, as tables and plots. */
#ifndef HISTORY_REPORT_H
#define HISTORY_REPORT_H

#include <libpq-fe.h>
#include <stdio.h>

#include "err.h"

/* Prints the two tables on OUT and draws the plots into DIR (created). */
int report_run(PGconn *c, int days, const char *dir, FILE *out, struct err *e);

#endif
