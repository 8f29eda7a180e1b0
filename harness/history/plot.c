/* plot.c: data files, the gnuplot script and the gnuplot run.
 * Setup names are the config's, verbatim: quoted for gnuplot, and drawn
 * with enhanced text off so that no name is read as markup. */
#include "history/plot.h"

#include <stdlib.h>
#include <string.h>

#include "proc/spawn.h"
#include "proc/tool.h"
#include "base/stats.h"

extern char **environ;

#define GNUPLOT_TIMEOUT 120.0

void series_add(struct series_set *set, const char *label, double x, double y)
{
    if (set->n == 0 || strcmp(set->s[set->n - 1].label, label) != 0) {
        set->s = realloc(set->s, (size_t)(set->n + 1) * sizeof *set->s);
        set->s[set->n++] = (struct series){.label = strdup(label)};
    }
    struct series *s = &set->s[set->n - 1];
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 16;
        s->x = realloc(s->x, (size_t)s->cap * sizeof *s->x);
        s->y = realloc(s->y, (size_t)s->cap * sizeof *s->y);
    }
    s->x[s->n] = x;
    s->y[s->n++] = y;
}

void series_free(struct series_set *set)
{
    for (int i = 0; i < set->n; i++) {
        free(set->s[i].label);
        free(set->s[i].x);
        free(set->s[i].y);
    }
    free(set->s);
    set->s = NULL;
    set->n = 0;
}

void running_median(const double *y, int n, int window, double *out)
{
    struct stats st;
    for (int i = 0; i < n; i++) {
        int from = i + 1 > window ? i + 1 - window : 0;
        stats_compute(y + from, (size_t)(i + 1 - from), &st);
        out[i] = st.median;
    }
}

char *gnuplot_quote(const char *s)
{
    char *q = malloc(2 * strlen(s) + 3), *o = q;
    *o++ = '\'';
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '\'')
            *o++ = '\'';
        *o++ = *p < 0x20 || *p == 0x7f ? ' ' : (char)*p;
    }
    *o++ = '\'';
    *o = '\0';
    return q;
}

static FILE *create(const char *dir, const char *name, char *path, size_t n, struct err *e)
{
    snprintf(path, n, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f)
        err_sys(e, EXIT_RUNTIME, "report: cannot write %s", path);
    return f;
}

static int close_checked(FILE *f, const char *path, struct err *e)
{
    int bad = ferror(f);
    bad |= fclose(f) != 0;
    return bad ? err_sys(e, EXIT_RUNTIME, "report: cannot write %s", path) : 0;
}

/* One block per series, two blank lines apart: gnuplot's `index N`. */
static int write_data(const char *dir, const char *name, const struct series_set *set, int with_median,
                      char *path, size_t n, struct err *e)
{
    FILE *f = create(dir, name, path, n, e);
    if (!f)
        return -1;
    for (int i = 0; i < set->n; i++) {
        const struct series *s = &set->s[i];
        double *med = calloc((size_t)s->n + 1, sizeof *med);
        if (with_median)
            running_median(s->y, s->n, RUNNING_MEDIAN_RUNS, med);
        char *ql = gnuplot_quote(s->label);
        fprintf(f, "# index %d: %s\n", i, ql);
        free(ql);
        for (int j = 0; j < s->n; j++)
            fprintf(f, with_median ? "%.3f %.9g %.9g\n" : "%.3f %.9g\n", s->x[j], s->y[j], med[j]);
        fputs("\n\n", f);
        free(med);
    }
    return close_checked(f, path, e);
}

/* The plot command: per series its points, and its running median. */
static void plot_command(FILE *f, const char *data, const struct series_set *set, int with_median)
{
    char *qd = gnuplot_quote(data);
    fputs("plot ", f);
    for (int i = 0; i < set->n; i++) {
        char *ql = gnuplot_quote(set->s[i].label);
        int color = i % 8 + 1;
        if (with_median)
            fprintf(f, "%s%s index %d using 1:2 with points pt 7 ps 0.7 lc %d title %s, \\\n"
                       "  %s index %d using 1:3 with lines lw 2 lc %d notitle",
                    i ? ", \\\n  " : "", qd, i, color, ql, qd, i, color);
        else
            fprintf(f, "%s%s index %d using 1:2 with linespoints pt 7 lw 2 lc %d title %s", i ? ", \\\n  " : "",
                    qd, i, color, ql);
        free(ql);
    }
    fputs("\n", f);
    free(qd);
}

static void terminal(FILE *f, const char *dir, const char *name, int svg)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s.%s", dir, name, svg ? "svg" : "png");
    char *qp = gnuplot_quote(path);
    fprintf(f, "set terminal %s size 1200,700 noenhanced\nset output %s\n",
            svg ? "svg dynamic background '#ffffff'" : "pngcairo", qp);
    free(qp);
}

/* One plot, drawn once per terminal: PNG, then SVG. */
struct plot_spec {
    const char *name;    /* the output files' base name */
    const char *title;
    const char *axes;    /* gnuplot lines setting up the x axis */
    const char *reset;   /* and undoing them for the next plot */
    const char *data;
    const struct series_set *set;
    int with_median;
};

static void write_plot(FILE *f, const char *dir, const struct plot_spec *p)
{
    char *qt = gnuplot_quote(p->title);
    for (int svg = 0; svg <= 1 && p->set->n; svg++) {
        terminal(f, dir, p->name, svg);
        fprintf(f, "set title %s noenhanced\n%s", qt, p->axes);
        plot_command(f, p->data, p->set, p->with_median);
        fprintf(f, "set output\n%s", p->reset);
    }
    free(qt);
}

static void write_script(FILE *f, const char *dir, const char *elapsed, const char *by_hour,
                         const struct series_set *over_time, const struct series_set *hours, const char *window)
{
    char t1[512], t2[512];
    snprintf(t1, sizeof t1, "import time of ok runs (elapsed_s), %s, with the median of the last %d runs", window,
             RUNNING_MEDIAN_RUNS);
    snprintf(t2, sizeof t2, "median import time of ok runs by hour of day (UTC), %s", window);
    const struct plot_spec plots[] = {
        {"elapsed", t1, "set xdata time\nset timefmt '%s'\nset format x '%m-%d'\nset xlabel 'date (UTC)'\n",
         "set xdata\nset format x '%g'\n", elapsed, over_time, 1},
        {"by_hour", t2, "set xrange [-0.5:23.5]\nset xtics 0,2,23\nset xlabel 'hour of day (UTC)'\n",
         "unset xrange\nset xtics autofreq\n", by_hour, hours, 0},
    };
    fputs("# Written by harness --report; run again with: gnuplot report.gp\n"
          "set grid\nset key below noenhanced\nset ylabel 'seconds'\nset yrange [0:*]\n",
          f);
    for (size_t i = 0; i < sizeof plots / sizeof plots[0]; i++)
        write_plot(f, dir, &plots[i]);
}

static int run_gnuplot(const char *script, struct err *e)
{
    char *gnuplot = find_on_path("gnuplot");
    if (!gnuplot)
        return err_set(e, EXIT_RUNTIME, "report: gnuplot is not on PATH: install gnuplot-nox (jobs/install-deps.sh)");
    char *argv[] = {gnuplot, (char *)script, NULL};
    struct spawn_job job;
    struct child_result res;
    if (spawn_prepare(&job, argv, environ, 0, e) < 0) {
        free(gnuplot);
        return -1;
    }
    if (spawn_run(&job, GNUPLOT_TIMEOUT, &res, e) == 0 && !e->status && res.status != CHILD_OK) {
        char *why = spawn_stderr_line(&job, 1000);
        err_set(e, EXIT_RUNTIME, "report: gnuplot %s failed (%s %d): %s", script,
                res.status == CHILD_TIMEOUT ? "timed out, exit" : "exit", res.exit_code, why);
        free(why);
    }
    spawn_release(&job);
    free(gnuplot);
    return e->status ? -1 : 0;
}

int plot_all(const char *dir, const struct series_set *over_time, const struct series_set *by_hour,
             const char *window, struct err *e)
{
    char elapsed[4200], hours[4200], script[4200];
    if (write_data(dir, "elapsed.dat", over_time, 1, elapsed, sizeof elapsed, e) < 0 ||
        write_data(dir, "by_hour.dat", by_hour, 0, hours, sizeof hours, e) < 0)
        return -1;
    FILE *f = create(dir, "report.gp", script, sizeof script, e);
    if (!f)
        return -1;
    write_script(f, dir, elapsed, hours, over_time, by_hour, window);
    if (close_checked(f, script, e) < 0)
        return -1;
    if (!over_time->n && !by_hour->n)
        return 0;
    return run_gnuplot(script, e);
}
