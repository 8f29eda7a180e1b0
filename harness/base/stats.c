/* stats.c: summary statistics of the gathered per-rank times.
 * Sorting a copy once is cheap beside the run: 4,800 doubles. */
#include "base/stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double stats_percentile(const double *sorted, size_t n, double p)
{
    if (n == 0)
        return 0.0;
    if (p <= 0)
        return sorted[0];
    if (p >= 100)
        return sorted[n - 1];
    double pos = p / 100.0 * (double)(n - 1);
    size_t lo = (size_t)floor(pos);
    double frac = pos - (double)lo;
    if (lo + 1 >= n)
        return sorted[n - 1];
    return sorted[lo] + frac * (sorted[lo + 1] - sorted[lo]);
}

int stats_compute(const double *values, size_t n, struct stats *s)
{
    memset(s, 0, sizeof *s);
    s->n = n;
    if (n == 0)
        return 0;
    double *sorted = malloc(n * sizeof *sorted);
    if (!sorted)
        return -1;
    memcpy(sorted, values, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, cmp_double);
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += sorted[i];
    s->min = sorted[0];
    s->max = sorted[n - 1];
    s->mean = sum / (double)n;
    s->median = stats_percentile(sorted, n, 50);
    s->p90 = stats_percentile(sorted, n, 90);
    s->p99 = stats_percentile(sorted, n, 99);
    free(sorted);
    return 0;
}
