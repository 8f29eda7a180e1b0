/* report.h: the two renderings of a run result: the table people read
 * and the JSON object that the database and scripts consume. */
#ifndef REPORT_H
#define REPORT_H

#include <json-c/json.h>
#include <stdio.h>

#include "err.h"
#include "result.h"

void report_text(const struct run_result *r, FILE *out);
/* The staging statistics (the "staging" JSON object) in a few lines. */
void report_staging_text(json_object *staging, FILE *out);
/* Staging (if any) plus the import's elapsed time: what a job waits for
 * before its first import is done. */
double report_first_import_s(const struct run_result *r);
/* A new JSON object the caller puts (json_object_put). */
json_object *report_json(const struct run_result *r);
/* Writes OBJ to PATH ("-": stdout) through a temporary file and rename,
 * so a reader never sees half a result. */
int report_json_write(json_object *obj, const char *path, struct err *e);

#endif
