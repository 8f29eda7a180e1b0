/* otava.h: change points by Apache Otava (E-divisive means with a
 * significance test), through its Python API in the tools venv's python. */
#ifndef OTAVA_H
#define OTAVA_H

#include <stddef.h>

#include "base/err.h"
#include "history/report_data.h"

/* Fewer ok runs than this and a setup is not analysed: no test has power there. */
#define OTAVA_MIN_RUNS 10

/* The python that runs otava's analysis: $HARNESS_OTAVA, else the python
 * beside tools-venv/bin/otava, found beside the executable or up to two
 * directories above it (build/harness and build/asan/harness both find
 * build/tools-venv). NULL, with the places looked at in WHY, when there is none. */
char *otava_find(char *why, size_t len);

/* Runs PYTHON once over every setup with enough ok runs and sets each
 * setup's changes (time, index, p-value; the medians are left to the
 * caller). Returns 0, or -1 with E set. */
int otava_detect(const char *python, struct history *h, struct err *e);

#endif
