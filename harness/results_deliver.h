/* results_deliver.h: getting a result into the database exactly once:
 * straight after the run, or through the spool when it cannot be reached. */
#ifndef RESULTS_DELIVER_H
#define RESULTS_DELIVER_H

#include <stdio.h>

#include "config.h"
#include "err.h"

/* --flush-spool: sends every spooled result and removes its file once
 * the database has it. OUT gets a summary line. A file that cannot be
 * sent stays, and the error names the first such file. */
int deliver_flush(const struct config *conf, FILE *out, struct err *e);

#endif
