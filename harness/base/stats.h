/* stats.h: order statistics of per-rank durations (min, median, p90, p99,
 * max, mean), computed on rank 0 after the gather. */
#ifndef STATS_H
#define STATS_H

#include <stddef.h>

struct stats {
    size_t n;
    double min, median, p90, p99, max, mean;
};

/* Percentile P (0..100) of SORTED[0..n-1], linearly interpolated between
 * closest ranks (numpy's default), so small runs give stable figures. */
double stats_percentile(const double *sorted, size_t n, double p);
/* Fills S from the N values (which are not changed). n == 0 gives zeros. */
int stats_compute(const double *values, size_t n, struct stats *s);

#endif
