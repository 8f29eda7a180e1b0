/* verdict.h: what a reader acts on, first on the text and the page: the
 * regressions the gate fails on, per machine and size the filesystems
 * fastest first against the in-place import, and the runs that failed. */
#ifndef VERDICT_H
#define VERDICT_H

#include <stdio.h>

#include "history/changepoints.h"
#include "history/gate.h"
#include "history/report_data.h"

struct ranked {
    int setup;
    double median;       /* current median time to first import, s */
    double ratio;        /* to the group's reference; NAN without one */
    int runs;            /* the ok runs of that median */
};

/* One machine at one size (ranks) and suite: its filesystems, fastest first. */
struct ranking {
    const char *machine, *suite;
    int ranks;
    int ref;             /* the reference's setup index (the in-place import), or -1 */
    struct ranked *e;
    int n;
};

struct verdict {
    const struct history *h;
    const struct gate *g;
    const struct change_scan *scan;
    struct ranking *r;
    int n;
};

void verdict_build(const struct history *h, const struct gate *g, const struct change_scan *scan, struct verdict *v);
void verdict_free(struct verdict *v);

/* The verdict as the text report's first lines. */
void verdict_text(FILE *out, const struct verdict *v, const char *window);
/* The verdict as the page's first section (verdict_html.c). */
void verdict_html(FILE *f, const struct verdict *v);

/* S's runs by state (indexed by enum run_state) and its latest failed,
 * timed-out or lost run's time (0 for none). Returns the three's sum. */
int setup_failures(const struct setup *s, int count[4], double *latest);

#endif
