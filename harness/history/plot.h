/* plot.h: the report's plots: each setup's elapsed time over the
 * days with its running median, and its median by hour of day, drawn by
 * gnuplot as PNG and SVG from data and script files it writes. */
#ifndef PLOT_H
#define PLOT_H

#include <stdio.h>

#include "base/err.h"

/* Runs are sparse (a few a day), so the median of the last few runs shows
 * the trend without hiding a bad week. */
#define RUNNING_MEDIAN_RUNS 9

struct series {
    char *label;
    int n, cap;
    double *x;           /* unix time, or hour of day */
    double *y;           /* seconds */
};

struct series_set {
    struct series *s;
    int n;
};

/* Appends (X, Y) to the last series if it has LABEL, else to a new one:
 * points arrive grouped by setup, as the report's queries order them. */
void series_add(struct series_set *set, const char *label, double x, double y);
void series_free(struct series_set *set);

/* OUT[i] is the median of Y[i-W+1..i] (fewer at the start). */
void running_median(const double *y, int n, int window, double *out);

/* S as a gnuplot single-quoted string: ' doubled, control characters
 * (which would end the command) replaced by spaces. A new string. */
char *gnuplot_quote(const char *s);

/* Writes elapsed.dat, by_hour.dat and report.gp and runs gnuplot
 * (elapsed.png/.svg and by_hour.png/.svg) in a new private directory in
 * DFD (the directory DIR, opened as a stage target), then renames them
 * into DFD. An empty set draws no plot. WINDOW describes the time span in
 * titles ("last 60 days"). */
int plot_all(int dfd, const char *dir, const struct series_set *over_time, const struct series_set *by_hour,
             const char *window, struct err *e);

#endif
