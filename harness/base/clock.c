/* clock.c: the monotonic clock of every timed span and the UTC stamp of
 * results; one of each, so that no two figures are taken differently. */
#include "base/clock.h"

#include <time.h>

static double seconds_on(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double now_seconds(void)
{
    return seconds_on(CLOCK_MONOTONIC);
}

double wall_seconds(void)
{
    return seconds_on(CLOCK_REALTIME);
}

void utc_now_iso(char *buf, size_t n)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
