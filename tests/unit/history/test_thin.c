/* test_thin.c: thinning a panel's runs and lines: one point per cell,
 * first come first kept, and a line keeping each pixel column's extremes. */
#include "../check.h"
#include "history/thin.h"

static void test_points(void)
{
    /* Three points in one 4-pixel cell, one in the next, one far away. */
    double x[] = {10, 11, 13.9, 14.1, 100}, y[] = {5, 6, 8.9, 5, 50};
    int keep[5];
    int n = thin_points(x, y, 5, 4, keep);
    CHECK(n == 3);
    CHECK(keep[0] == 0 && keep[1] == 3 && keep[2] == 4);
    CHECK(thin_points(x, y, 0, 4, keep) == 0);
    CHECK(thin_points(x, y, 5, 0, keep) == 0);
}

static void test_line(void)
{
    /* Column 1 holds 5 points: first, lowest, highest, last kept, in order. */
    double x[] = {1.0, 1.2, 1.4, 1.6, 1.8, 2.5}, y[] = {5, 1, 9, 4, 6, 7};
    double ox[6], oy[6];
    int n = thin_line(x, y, 6, ox, oy);
    CHECK(n == 5);
    CHECK(oy[0] == 5 && oy[1] == 1 && oy[2] == 9 && oy[3] == 6 && oy[4] == 7);
    CHECK(ox[0] == 1.0 && ox[4] == 2.5);
    /* A line of one point per column is kept whole. */
    double a[] = {0, 1, 2}, b[] = {3, 2, 1};
    CHECK(thin_line(a, b, 3, ox, oy) == 3);
}

int main(void)
{
    test_points();
    test_line();
    return check_summary();
}
