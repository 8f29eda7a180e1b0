/* render.h: the two renderings of a run result, both from the typed
 * struct: the table people read and the JSON that the database and
 * scripts consume. Nothing here reads JSON back. */
#ifndef RENDER_H
#define RENDER_H

#include <json-c/json.h>
#include <stdio.h>

#include "base/err.h"
#include "result/result.h"

void render_text(const struct run_result *r, FILE *out);
/* New JSON objects the caller puts (json_object_put). */
json_object *render_json(const struct run_result *r);
/* Writes OBJ to PATH ("-": stdout): a regular file whole or not at all,
 * a device or FIFO in place; a link or other kind refused (named_output_write). */
int render_json_write(json_object *obj, const char *path, struct err *e);

#endif
