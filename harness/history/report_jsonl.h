/* report_jsonl.h: --report --format jsonl: one JSON object per result in
 * the window, in ReFrame's perflog vocabulary, for Elastic or VictoriaMetrics. */
#ifndef REPORT_JSONL_H
#define REPORT_JSONL_H

#include <libpq-fe.h>
#include <stdio.h>

#include "base/err.h"

/* Writes the lines to results.jsonl in DFD, the directory DIR
 * (atomically, never through a link standing there) when DIR is given,
 * else to OUT. Reserved rows (runs still going) are left out. */
int report_jsonl(PGconn *c, int days, int dfd, const char *dir, FILE *out, struct err *e);

#endif
