/* report_jsonl.h: --report --format jsonl: one JSON object per result in
 * the window, in ReFrame's perflog vocabulary, for Elastic or VictoriaMetrics. */
#ifndef REPORT_JSONL_H
#define REPORT_JSONL_H

#include <libpq-fe.h>
#include <stdio.h>

#include "base/err.h"

/* Writes the lines to DIR/results.jsonl (atomically) when DIR is given,
 * else to OUT. Reserved rows (runs still going) are left out. */
int report_jsonl(PGconn *c, int days, const char *dir, FILE *out, struct err *e);

#endif
