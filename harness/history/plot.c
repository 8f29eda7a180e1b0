/* plot.c: data files, the gnuplot script and the gnuplot run, in a private
 * directory whose files are then renamed into the report's directory. */
#include "history/plot.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/atomic_write.h"
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

/* Setup names are the config's, verbatim: quoted for gnuplot, and drawn
 * with enhanced text off so that no name is read as markup. */
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

/* One block per series, two blank lines apart: gnuplot's `index N`. */
static void write_data(FILE *f, const struct series_set *set, int with_median)
{
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

/* Output files by name alone: gnuplot runs in the directory they go to. */
static void terminal(FILE *f, const char *name, int svg)
{
    fprintf(f, "set terminal %s size 1200,700 noenhanced\nset output '%s.%s'\n",
            svg ? "svg dynamic background '#ffffff'" : "pngcairo", name, svg ? "svg" : "png");
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

static void write_plot(FILE *f, const struct plot_spec *p)
{
    char *qt = gnuplot_quote(p->title);
    for (int svg = 0; svg <= 1 && p->set->n; svg++) {
        terminal(f, p->name, svg);
        fprintf(f, "set title %s noenhanced\n%s", qt, p->axes);
        plot_command(f, p->data, p->set, p->with_median);
        fprintf(f, "set output\n%s", p->reset);
    }
    free(qt);
}

static void write_script(FILE *f, const struct series_set *over_time, const struct series_set *hours,
                         const char *window)
{
    char t1[512], t2[512];
    snprintf(t1, sizeof t1, "import time of ok runs (elapsed_s), %s, with the median of the last %d runs", window,
             RUNNING_MEDIAN_RUNS);
    snprintf(t2, sizeof t2, "median import time of ok runs by hour of day (UTC), %s", window);
    const struct plot_spec plots[] = {
        {"elapsed", t1, "set xdata time\nset timefmt '%s'\nset format x '%m-%d'\nset xlabel 'date (UTC)'\n",
         "set xdata\nset format x '%g'\n", "elapsed.dat", over_time, 1},
        {"by_hour", t2, "set xrange [-0.5:23.5]\nset xtics 0,2,23\nset xlabel 'hour of day (UTC)'\n",
         "unset xrange\nset xtics autofreq\n", "by_hour.dat", hours, 0},
    };
    fputs("# Written by harness --report; run again in this directory with: gnuplot report.gp\n"
          "set grid\nset key below noenhanced\nset ylabel 'seconds'\nset yrange [0:*]\n",
          f);
    for (size_t i = 0; i < sizeof plots / sizeof plots[0]; i++)
        write_plot(f, &plots[i]);
}

/* gnuplot in the private directory TMP (its path: no file of it is
 * opened through the report's directory, where links may stand). */
static int run_gnuplot(const char *tmp, const char *dir, struct err *e)
{
    char *gnuplot = find_on_path("gnuplot");
    if (!gnuplot)
        return err_set(e, EXIT_RUNTIME, "report: gnuplot is not on PATH: install gnuplot-nox (jobs/install-deps.sh)");
    char *qt = gnuplot_quote(tmp), *cmd = malloc(strlen(qt) + 32);
    sprintf(cmd, "cd %s; load 'report.gp'", qt);
    char *argv[] = {gnuplot, "-e", cmd, NULL};
    struct spawn_job job;
    struct child_result res;
    if (spawn_prepare(&job, argv, environ, 0, e) == 0) {
        if (spawn_run(&job, GNUPLOT_TIMEOUT, &res, e) == 0 && !e->status && res.status != CHILD_OK) {
            char *why = spawn_stderr_line(&job, 1000);
            err_set(e, EXIT_RUNTIME, "report: gnuplot %s/report.gp failed (%s %d): %s", dir,
                    res.status == CHILD_TIMEOUT ? "timed out, exit" : "exit", res.exit_code, why);
            free(why);
        }
        spawn_release(&job);
    }
    free(cmd);
    free(qt);
    free(gnuplot);
    return e->status ? -1 : 0;
}

/* The text FILL writes, as NAME in the directory TFD. */
static int write_text(int tfd, const char *name, const char *dir, void (*fill)(FILE *, const void *),
                      const void *arg, struct err *e)
{
    char *buf = NULL, shown[4200];
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return err_sys(e, EXIT_RUNTIME, "report: open_memstream");
    fill(f, arg);
    fclose(f);
    snprintf(shown, sizeof shown, "%s/%s", dir, name);
    int rc = atomic_write_at(tfd, name, shown, buf, len, 0644, e);
    free(buf);
    return rc;
}

struct plot_input {
    const struct series_set *over_time, *by_hour;
    const char *window;
};

static void fill_elapsed(FILE *f, const void *arg)
{
    write_data(f, ((const struct plot_input *)arg)->over_time, 1);
}

static void fill_by_hour(FILE *f, const void *arg)
{
    write_data(f, ((const struct plot_input *)arg)->by_hour, 0);
}

static void fill_script(FILE *f, const void *arg)
{
    const struct plot_input *in = arg;
    write_script(f, in->over_time, in->by_hour, in->window);
}

/* Everything the plots leave, moved (or, on failure, removed) from the
 * private directory TFD into DFD: renameat replaces whatever stands at
 * a name in DFD, a link included, and never follows it. */
static const char *const plot_files[] = {"elapsed.dat", "by_hour.dat", "report.gp", "elapsed.png",
                                         "elapsed.svg", "by_hour.png", "by_hour.svg"};

static int move_out(int tfd, int dfd, const char *dir, int keep, struct err *e)
{
    struct stat st;
    for (size_t i = 0; i < sizeof plot_files / sizeof plot_files[0]; i++) {
        const char *name = plot_files[i];
        if (fstatat(tfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            continue;
        if (keep && !e->status && S_ISREG(st.st_mode) && renameat(tfd, name, dfd, name) < 0)
            err_sys(e, EXIT_RUNTIME, "report: cannot move %s into %s", name, dir);
        unlinkat(tfd, name, 0);
    }
    return e->status ? -1 : 0;
}

int plot_all(int dfd, const char *dir, const struct series_set *over_time, const struct series_set *by_hour,
             const char *window, struct err *e)
{
    char tmp_name[64], tmp[4200];
    if (create_unique_at(dfd, ".report-plot.", tmp_name, sizeof tmp_name, 1, 0700) < 0)
        return err_sys(e, EXIT_RUNTIME, "report: cannot create a private directory in %s", dir);
    snprintf(tmp, sizeof tmp, "%s/%s", dir, tmp_name);
    int tfd = openat(dfd, tmp_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (tfd < 0) {
        unlinkat(dfd, tmp_name, AT_REMOVEDIR);
        return err_sys(e, EXIT_RUNTIME, "report: cannot open %s", tmp);
    }
    struct plot_input in = {over_time, by_hour, window};
    int rc = write_text(tfd, "elapsed.dat", dir, fill_elapsed, &in, e);
    if (rc == 0)
        rc = write_text(tfd, "by_hour.dat", dir, fill_by_hour, &in, e);
    if (rc == 0)
        rc = write_text(tfd, "report.gp", dir, fill_script, &in, e);
    if (rc == 0 && (over_time->n || by_hour->n))
        rc = run_gnuplot(tmp, dir, e);
    rc = move_out(tfd, dfd, dir, rc == 0, e);
    close(tfd);
    unlinkat(dfd, tmp_name, AT_REMOVEDIR);
    return rc;
}
