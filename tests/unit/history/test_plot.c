/* test_plot.c: the report's running median, grouping of points into
 * setups, and quoting of setup names for gnuplot. */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "../check.h"
#include "history/plot.h"

static void test_running_median(void)
{
    double y[] = {5, 1, 4, 2, 3, 100}, out[6];
    running_median(y, 6, 3, out);
    CHECK_NEAR(out[0], 5);     /* one point: itself */
    CHECK_NEAR(out[1], 3);     /* 5, 1 */
    CHECK_NEAR(out[2], 4);     /* 5, 1, 4 */
    CHECK_NEAR(out[3], 2);     /* 1, 4, 2 */
    CHECK_NEAR(out[4], 3);     /* 4, 2, 3 */
    CHECK_NEAR(out[5], 3);     /* 2, 3, 100: an outlier moves it little */
    CHECK(y[0] == 5 && y[5] == 100);
}

static void test_series(void)
{
    struct series_set s = {0};
    for (int i = 0; i < 40; i++)
        series_add(&s, "a", i, i * 2);
    series_add(&s, "b", 1, 1);
    series_add(&s, "a", 2, 2);   /* a later group of the same name is its own */
    CHECK(s.n == 3);
    CHECK(s.s[0].n == 40 && s.s[1].n == 1 && s.s[2].n == 1);
    CHECK_NEAR(s.s[0].y[39], 78);
    series_free(&s);
    CHECK(s.n == 0 && s.s == NULL);
}

static void test_quote(void)
{
    char *q = gnuplot_quote("o'b\"; x\nsystem('rm')");
    CHECK(strcmp(q, "'o''b\"; x system(''rm'')'") == 0);
    free(q);
    q = gnuplot_quote("");
    CHECK(strcmp(q, "''") == 0);
    free(q);
}

static void test_nothing_to_draw(const char *tmp)
{
    struct series_set none = {0};
    struct err e = {0};
    char path[4096];
    /* No data: files are written, gnuplot is not run (it would fail). */
    int dfd = open(tmp, O_RDONLY | O_DIRECTORY);
    CHECK(plot_all(dfd, tmp, &none, &none, "last 1 days", &e) == 0);
    close(dfd);
    snprintf(path, sizeof path, "%s/report.gp", tmp);
    FILE *f = fopen(path, "r");
    CHECK(f != NULL);
    if (f)
        fclose(f);
    CHECK(plot_all(-1, "/nonexistent/dir", &none, &none, "x", &e) < 0);
    CHECK_CONTAINS(e.msg, "/nonexistent/dir");
}

int main(int argc, char **argv)
{
    test_running_median();
    test_series();
    test_quote();
    test_nothing_to_draw(argc > 1 ? argv[1] : "/tmp");
    return check_summary();
}
