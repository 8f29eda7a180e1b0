/* deliver.h: getting a result into the database exactly once:
 * straight after the run, or through the spool when it cannot be reached. */
#ifndef DELIVER_H
#define DELIVER_H

#include <json-c/json.h>
#include <stdio.h>

#include "config/config.h"
#include "base/err.h"

/* After a run, on rank 0: records RESULT into the row RESULT_ID (0: a
 * new row) when a database is configured (QUIET: no line saying so). The spool file is written
 * first and removed once the database has the result; it stays, with the
 * reason, when the database cannot take it now. A refusal for good is an
 * error (EXIT_DATABASE), the result then kept in the spool's rejected/. */
int deliver_result(const struct config *conf, long long result_id, int quiet, json_object *result, struct err *e);

/* --flush-spool's status when every result was sent or set aside, and
 * some were set aside: the flush completed, a person has to look. */
#define FLUSH_SET_ASIDE EXIT_RANKS_FAILED

/* --flush-spool: sends every spooled result and removes its file once
 * the database has it. What can never be sent (not a spooled result: not
 * JSON, a link, a FIFO...; or refused by the database for good) is set
 * aside into rejected/ with its reason, and the rest goes on. Once the
 * database is not taking results (down, timing out) the rest is kept, and
 * E (EXIT_DATABASE) names the first file kept; else E is FLUSH_SET_ASIDE
 * if anything was set aside. OUT gets "N sent, N already recorded, N
 * kept, N set aside". */
int deliver_flush(const struct config *conf, FILE *out, struct err *e);

#endif
