/* test_stats.c: order statistics against values worked out by hand
 * (numpy.percentile's linear interpolation gives the same). */
#include "../check.h"
#include "base/stats.h"

int main(void)
{
    struct stats s;
    double one[] = {0.25};
    CHECK(stats_compute(one, 1, &s) == 0);
    CHECK_NEAR(s.min, 0.25);
    CHECK_NEAR(s.median, 0.25);
    CHECK_NEAR(s.p99, 0.25);
    CHECK_NEAR(s.max, 0.25);

    /* Unsorted input, left unchanged by the computation. */
    double v[] = {5, 1, 4, 2, 3};
    stats_compute(v, 5, &s);
    CHECK_NEAR(s.min, 1);
    CHECK_NEAR(s.max, 5);
    CHECK_NEAR(s.median, 3);
    CHECK_NEAR(s.mean, 3);
    CHECK_NEAR(s.p90, 4.6);   /* pos 3.6: 4 + 0.6 * (5 - 4) */
    CHECK_NEAR(s.p99, 4.96);
    CHECK(v[0] == 5 && v[4] == 3);

    double even[] = {1, 2, 3, 4};
    stats_compute(even, 4, &s);
    CHECK_NEAR(s.median, 2.5);
    CHECK_NEAR(s.p90, 3.7);

    /* 1..100: the p-th percentile of n values sits at (p/100)(n-1). */
    double h[100];
    for (int i = 0; i < 100; i++)
        h[i] = 100 - i;
    stats_compute(h, 100, &s);
    CHECK_NEAR(s.median, 50.5);
    CHECK_NEAR(s.p90, 90.1);
    CHECK_NEAR(s.p99, 99.01);
    CHECK_NEAR(s.mean, 50.5);

    CHECK(stats_compute(NULL, 0, &s) == 0);
    CHECK(s.n == 0 && s.max == 0);

    double sorted[] = {10, 20};
    CHECK_NEAR(stats_percentile(sorted, 2, 0), 10);
    CHECK_NEAR(stats_percentile(sorted, 2, 100), 20);
    CHECK_NEAR(stats_percentile(sorted, 2, 50), 15);
    CHECK_NEAR(stats_percentile(sorted, 2, -5), 10);
    return check_summary();
}
