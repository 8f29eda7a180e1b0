/* thin.c: a decade of runs on a 300-pixel panel: every run stays in the
 * database and in jsonl; the page draws only what a reader can tell apart,
 * so it stays small enough to open and mail. */
#include "history/thin.h"

#include <math.h>
#include <stdlib.h>

int thin_points(const double *x, const double *y, int n, double cell, int *keep)
{
    double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
    for (int i = 0; i < n; i++)
        x0 = fmin(x0, x[i]), x1 = fmax(x1, x[i]), y0 = fmin(y0, y[i]), y1 = fmax(y1, y[i]);
    if (n <= 0 || !(cell > 0) || !isfinite(x1 - x0) || !isfinite(y1 - y0))
        return 0;
    long cols = (long)((x1 - x0) / cell) + 1, rows = (long)((y1 - y0) / cell) + 1;
    unsigned char *taken = calloc((size_t)(cols * rows), 1);
    int kept = 0;
    for (int i = 0; i < n; i++) {
        long c = (long)((x[i] - x0) / cell), r = (long)((y[i] - y0) / cell);
        if (taken[r * cols + c])
            continue;
        taken[r * cols + c] = 1;
        keep[kept++] = i;
    }
    free(taken);
    return kept;
}

/* Appends point I unless it is the one appended last. */
static int put(const double *x, const double *y, int i, int *last, double *ox, double *oy, int m)
{
    if (*last == i)
        return m;
    *last = i;
    ox[m] = x[i], oy[m] = y[i];
    return m + 1;
}

int thin_line(const double *x, const double *y, int n, double *ox, double *oy)
{
    int m = 0, last = -1;
    for (int a = 0; a < n;) {
        int b = a, lo = a, hi = a;
        while (b < n && floor(x[b]) == floor(x[a])) {
            lo = y[b] < y[lo] ? b : lo;
            hi = y[b] > y[hi] ? b : hi;
            b++;
        }
        int first = lo < hi ? lo : hi, second = lo < hi ? hi : lo;
        m = put(x, y, a, &last, ox, oy, m);
        m = put(x, y, first, &last, ox, oy, m);
        m = put(x, y, second, &last, ox, oy, m);
        m = put(x, y, b - 1, &last, ox, oy, m);
        a = b;
    }
    return m;
}
