/* scaling_panel.h: the HTML report's scaling panel for one machine,
 * filesystem and suite: median elapsed time per rank count on log-log
 * axes, the fitted T(N) = a + b N^c and its extrapolation. */
#ifndef SCALING_PANEL_H
#define SCALING_PANEL_H

#include <stdio.h>

#include "history/report_data.h"

/* Needs ok runs at this many distinct rank counts or more. */
#define SCALING_MIN_SIZES 3

/* Draws the panel, or says in a note why there is none. TARGET is the
 * machine's largest configured size (ranks) to extrapolate to; 0: unknown. */
void panel_scaling(FILE *f, const struct history *h, const char *machine, const char *fs, const char *suite,
                   int series, int target);

#endif
