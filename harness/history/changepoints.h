/* changepoints.h: the report's change points: found by otava, measured
 * here as the medians of the runs on either side, and listed. */
#ifndef CHANGEPOINTS_H
#define CHANGEPOINTS_H

#include <stdio.h>

#include "base/err.h"
#include "history/report_data.h"

/* Whether the change points were looked for, and if not, why. */
struct change_scan {
    int ran;
    char why[1024];
};

/* Finds every setup's changes. Without otava the scan is marked not run
 * (SCAN says why) and 0 is returned, unless REQUIRED: then -1 with E set,
 * since a check that cannot look must not pass. */
int changes_find(struct history *h, int required, struct change_scan *scan, struct err *e);

/* The table of changes (or why there is none) on OUT. */
void changes_print(FILE *out, const struct history *h, const struct change_scan *scan);

/* S's label for the terminal: the database's names made printable. A new string. */
char *setup_text_label(const struct setup *s);

/* "2026-01-31 18:00 UTC" for unix time T. */
void format_utc(double t, char *buf, size_t len);

#endif
