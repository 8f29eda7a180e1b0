/* deliver.h: getting a result into the database exactly once:
 * straight after the run, or through the spool when it cannot be reached. */
#ifndef DELIVER_H
#define DELIVER_H

#include <json-c/json.h>
#include <stdio.h>

#include "cli.h"
#include "config.h"
#include "err.h"

/* After a run, on rank 0: records RESULT into the row --result-id (or a
 * new row) when a database is configured; spools it when unreachable. */
int results_record(const struct config *conf, const struct options *o, json_object *result, struct err *e);

/* --flush-spool: sends every spooled result and removes its file once
 * the database has it. OUT gets a summary line. A file that cannot be
 * sent stays, and the error names the first such file. */
int deliver_flush(const struct config *conf, FILE *out, struct err *e);

#endif
