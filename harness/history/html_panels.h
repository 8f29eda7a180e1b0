/* html_panels.h: the HTML report's small multiples: one setup's elapsed
 * time over the days (running median, failures, change points) and by
 * hour of day, each one inline SVG. */
#ifndef HTML_PANELS_H
#define HTML_PANELS_H

#include <stdio.h>

#include "history/report_data.h"

/* Failed, timed-out and lost runs are marked on the time axis in these. */
#define MARK_FAILED "#C00000"
#define MARK_TIMEOUT "#7B3294"
#define MARK_LOST "#888888"

/* SERIES picks the colour and marker; T0..T1 is the time axis every panel
 * of the machine shares, so panels line up. */
void panel_over_time(FILE *f, const struct setup *s, int series, double t0, double t1);
void panel_by_hour(FILE *f, const struct setup *s, int series);

#endif
