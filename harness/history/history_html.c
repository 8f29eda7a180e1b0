/* history_html.c: the report page's layout: what to act on first (change
 * points), then the table, then each machine's small multiples, one row
 * of panels per size, one column per filesystem. */
#include "history/history_html.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/atomic_write.h"
#include "history/html_panels.h"
#include "history/plot.h"
#include "history/scaling_panel.h"
#include "history/svg.h"

static const char css[] =
    "body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222;background:#fff}"
    "h1{font-size:1.5em;margin:0 0 .2em}h2{margin-top:1.6em;border-bottom:1px solid #ccc}"
    "h3{margin:1.2em 0 .4em}.meta{color:#555}"
    "table{border-collapse:collapse;font-size:13px}td,th{padding:2px 8px;border-bottom:1px solid #e4e4e4}"
    "th{text-align:left;background:#f3f3f3}td.num{text-align:right;font-variant-numeric:tabular-nums}"
    "tr.slower td{background:#fde8e8}.warning{background:#fff3cd;border:1px solid #e0c36c;padding:.5em .8em}"
    ".grid{display:grid;gap:10px 14px;align-items:start}"
    "figure{margin:0;border:1px solid #ddd;padding:4px 4px 0;background:#fff}"
    "figcaption{font-size:12px;padding:0 4px}.counts{color:#666}"
    "svg text{font-size:10px;fill:#333}svg .axis-label{font-size:11px}"
    "rect.plot{fill:#fafafa;stroke:#bbb}line.grid{stroke:#e6e6e6}"
    ".runs{fill-opacity:.55}.changepoint line{stroke:" MARK_FAILED ";stroke-width:1.6;stroke-dasharray:5 3}"
    ".changepoint text{fill:" MARK_FAILED ";font-weight:bold;font-size:11px}"
    ".extrapolation line{stroke:#444;stroke-width:1.3}.fit,.note{font-size:12px;margin:.3em 4px .5em;max-width:400px}"
    ".legend span{margin-right:1.2em;white-space:nowrap}.legend svg{vertical-align:middle}";

static void cell(FILE *f, const char *v)
{
    char *end;
    int num = *v && (strtod(v, &end), *end == '\0');
    fputs(num ? "<td class=\"num\">" : "<td>", f);
    html_text(f, v);
    fputs("</td>", f);
}

static void summary_table(FILE *f, const PGresult *r)
{
    fputs("<table class=\"summary\"><tr>", f);
    for (int j = 0; j < PQnfields(r); j++) {
        fputs("<th>", f);
        html_text(f, PQfname(r, j));
        fputs("</th>", f);
    }
    fputs("</tr>\n", f);
    for (int i = 0; i < PQntuples(r); i++) {
        fputs("<tr>", f);
        for (int j = 0; j < PQnfields(r); j++)
            cell(f, PQgetisnull(r, i, j) ? "-" : PQgetvalue(r, i, j));
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
}

static void changes_table(FILE *f, const struct history *h, const struct change_scan *scan)
{
    if (!scan->ran) {
        fputs("<p class=\"warning\" id=\"no-changepoints\">Change points were not looked for: otava is missing: ", f);
        html_text(f, scan->why);
        fputs("</p>\n", f);
        return;
    }
    int n = 0;
    for (int i = 0; i < h->n; i++)
        n += h->s[i].nchanges;
    fprintf(f, "<p>%d change point%s in the medians of elapsed_s (Apache Otava, E-divisive means, p &le; 0.001, "
            "shifts of 5%% or more; setups with 10 or more ok runs). Red rows are slowdowns; the panels mark each "
            "with a dashed red line.</p>\n", n, n == 1 ? "" : "s");
    if (!n)
        return;
    fputs("<table class=\"changes\"><tr><th>setup</th><th>from</th><th>median before, s</th><th>median after, s</th>"
          "<th>ratio</th><th>p-value</th></tr>\n", f);
    for (int i = 0; i < h->n; i++)
        for (int k = 0; k < h->s[i].nchanges; k++) {
            const struct change *c = &h->s[i].changes[k];
            char label[1024], when[64], num[4][32];
            setup_label(&h->s[i], label, sizeof label);
            format_utc(c->t, when, sizeof when);
            snprintf(num[0], 32, "%.3f", c->median_before);
            snprintf(num[1], 32, "%.3f", c->median_after);
            snprintf(num[2], 32, "%.2f", c->ratio);
            snprintf(num[3], 32, "%.6f", c->pvalue);
            fprintf(f, "<tr%s>", c->ratio > 1 ? " class=\"slower\"" : "");
            cell(f, label);
            cell(f, when);
            for (int j = 0; j < 4; j++)
                cell(f, num[j]);
            fputs("</tr>\n", f);
        }
    fputs("</table>\n", f);
}

/* A machine's filesystems in the order they first appear: the series. */
struct machine_view {
    const struct history *h;
    const char *name;
    int *idx, n;         /* its setups, in panel order */
    const char *fs[32];
    int nfs;
};

static int fs_find(const struct machine_view *m, const char *fs)
{
    for (int i = 0; i < m->nfs; i++)
        if (!strcmp(m->fs[i], fs))
            return i;
    return -1;
}

/* Past the 32nd filesystem colours repeat (the markers still differ in 6). */
static int fs_series(const struct machine_view *m, const char *fs)
{
    int i = fs_find(m, fs);
    return i < 0 ? m->nfs : i;
}

/* Panel order: suite, then ranks (a row per size), then filesystem. */
static int panel_order(const void *a, const void *b, void *arg)
{
    const struct machine_view *m = arg;
    const struct setup *x = &m->h->s[*(const int *)a], *y = &m->h->s[*(const int *)b];
    int c = strcmp(x->suite, y->suite);
    if (c)
        return c;
    if (x->ranks != y->ranks)
        return x->ranks < y->ranks ? -1 : 1;
    return fs_series(m, x->filesystem) - fs_series(m, y->filesystem);
}

static void view_of(const struct history *h, const char *machine, struct machine_view *m)
{
    *m = (struct machine_view){.h = h, .name = machine, .idx = malloc((size_t)(h->n + 1) * sizeof(int))};
    for (int i = 0; i < h->n; i++) {
        if (strcmp(h->s[i].machine, machine))
            continue;
        m->idx[m->n++] = i;
        if (fs_find(m, h->s[i].filesystem) < 0 && m->nfs < 32)
            m->fs[m->nfs++] = h->s[i].filesystem;
    }
    qsort_r(m->idx, (size_t)m->n, sizeof *m->idx, panel_order, m);
}

static void legend(FILE *f, const struct machine_view *m)
{
    fputs("<p class=\"legend\">", f);
    for (int i = 0; i < m->nfs; i++) {
        fputs("<span><svg width=\"14\" height=\"14\">", f);
        svg_marker(f, series_marker(i), 7, 7, 4, series_colour(i), 0, NULL);
        fputs("</svg> ", f);
        html_text(f, m->fs[i]);
        fputs("</span>", f);
    }
    fputs("<span><svg width=\"14\" height=\"14\">", f);
    svg_marker(f, 5, 7, 7, 3.5, MARK_FAILED, 0, NULL);
    fputs("</svg> failed</span><span><svg width=\"14\" height=\"14\">", f);
    svg_marker(f, 4, 7, 7, 3.5, MARK_TIMEOUT, 0, NULL);
    fputs("</svg> timed out</span><span><svg width=\"14\" height=\"14\">", f);
    svg_marker(f, 0, 7, 7, 3.5, MARK_LOST, 1, NULL);
    fprintf(f, "</svg> lost</span><span>thick line: running median of %d runs</span>"
            "<span style=\"color:" MARK_FAILED "\">- - x1.50: change point and its ratio</span></p>\n",
            RUNNING_MEDIAN_RUNS);
}

static int largest_size(const struct config *conf, const char *machine)
{
    int best = 0;
    for (int i = 0; conf && i < conf->nmachines; i++)
        if (!strcmp(conf->machines[i].name, machine))
            for (int k = 0; k < conf->machines[i].nsizes; k++)
                if (conf->machines[i].sizes[k].nodes * conf->machines[i].sizes[k].tasks_per_node > best)
                    best = conf->machines[i].sizes[k].nodes * conf->machines[i].sizes[k].tasks_per_node;
    return best;
}

static void time_range(const struct history *h, double *t0, double *t1)
{
    *t0 = INFINITY, *t1 = -INFINITY;
    for (int i = 0; i < h->n; i++)
        for (int j = 0; j < h->s[i].nruns; j++)
            *t0 = fmin(*t0, h->s[i].runs[j].t), *t1 = fmax(*t1, h->s[i].runs[j].t);
}

static void grid_open(FILE *f, const struct machine_view *m, int min_width)
{
    fprintf(f, "<div class=\"grid\" style=\"grid-template-columns:repeat(%d,%dpx)\">\n", m->nfs ? m->nfs : 1,
            min_width);
}

static void scaling_row(FILE *f, const struct history *h, const struct machine_view *m, int target)
{
    grid_open(f, m, 410);
    for (int k = 0; k < m->n; k++) {
        const struct setup *s = &h->s[m->idx[k]];
        int first = 1;   /* one panel per filesystem and suite: at its first setup */
        for (int j = 0; j < k && first; j++) {
            const struct setup *o = &h->s[m->idx[j]];
            first = strcmp(o->filesystem, s->filesystem) || strcmp(o->suite, s->suite);
        }
        if (first)
            panel_scaling(f, h, m->name, s->filesystem, s->suite, fs_series(m, s->filesystem), target);
    }
    fputs("</div>\n", f);
}

/* Empty cells before panel K where its row (suite, ranks) lacks
 * filesystems, so each column keeps one filesystem. */
static void gap_before(FILE *f, const struct history *h, const struct machine_view *m, int k)
{
    const struct setup *s = &h->s[m->idx[k]], *prev = k ? &h->s[m->idx[k - 1]] : NULL;
    int same_row = prev && prev->ranks == s->ranks && !strcmp(prev->suite, s->suite);
    int from = same_row ? fs_series(m, prev->filesystem) + 1 : 0;
    if (!same_row && prev)
        for (int c = fs_series(m, prev->filesystem) + 1; c < m->nfs; c++)
            fputs("<div></div>", f);
    for (int c = from; c < fs_series(m, s->filesystem); c++)
        fputs("<div></div>", f);
}

static void machine_section(FILE *f, const struct history *h, const struct machine_view *m, const struct config *conf)
{
    double t0, t1;
    time_range(h, &t0, &t1);
    fputs("<section class=\"machine\" data-machine=\"", f);
    html_text(f, m->name);
    fputs("\"><h2>Machine ", f);
    html_text(f, m->name);
    fputs("</h2>\n", f);
    legend(f, m);
    fputs("<h3>Elapsed time over the days (first barrier to last; a row per size, a column per filesystem)</h3>\n", f);
    grid_open(f, m, 350);
    for (int k = 0; k < m->n; k++) {
        gap_before(f, h, m, k);
        panel_over_time(f, &h->s[m->idx[k]], fs_series(m, h->s[m->idx[k]].filesystem), t0, t1);
    }
    fputs("</div>\n<h3>By hour of day (UTC): every ok run, and the median per hour</h3>\n", f);
    grid_open(f, m, 350);
    for (int k = 0; k < m->n; k++) {
        gap_before(f, h, m, k);
        panel_by_hour(f, &h->s[m->idx[k]], fs_series(m, h->s[m->idx[k]].filesystem));
    }
    int target = largest_size(conf, m->name);
    fputs("</div>\n<h3>Scaling: median elapsed time per rank count, fitted T(N) = a + b&middot;N<sup>c</sup></h3>\n", f);
    scaling_row(f, h, m, target);
    fputs("</section>\n", f);
}

static void page(FILE *f, const struct html_input *in)
{
    char now[64];
    format_utc((double)time(NULL), now, sizeof now);
    fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width\"><title>mpi4py-import report</title>"
            "<style>%s</style></head><body>\n<h1>mpi4py-import: how long <code>import</code> takes at scale</h1>\n"
            "<p class=\"meta\">Generated %s from ", css, now);
    html_text(f, in->conf && in->conf->path ? in->conf->path : "?");
    fputs("'s database, ", f);
    html_text(f, in->window);
    fputs(". Times are the elapsed_s of each run: the first barrier to the last, seconds.</p>\n", f);
    verdict_html(f, in->verdict);
    fputs("<section id=\"changes\"><h2>Change points</h2>\n", f);
    changes_table(f, in->h, in->scan);
    if (nonfinite_note(in->h->nonfinite)) {
        fputs("<p class=\"warning\" id=\"nonfinite\">", f);
        html_text(f, nonfinite_note(in->h->nonfinite));
        fputs(".</p>\n", f);
    }
    fputs("</section>\n<section id=\"summary\"><h2>Runs per setup (statistics of the ok runs, seconds)</h2>\n", f);
    summary_table(f, in->summary);
    if (PQfnumber(in->summary, "server_ops") >= 0)
        fputs("<p class=\"note\" id=\"server-ops\">server_ops: the median, over ok runs with a probe, of the metadata "
              "server's operations during the import phase (the filesystem probe's counters, summed over nodes); "
              "server_ops_per_rank: the same per rank and per import.</p>\n", f);
    fputs("</section>\n", f);
    for (int i = 0; i < in->h->n; i++) {
        if (i && !strcmp(in->h->s[i].machine, in->h->s[i - 1].machine))
            continue;
        struct machine_view m;
        view_of(in->h, in->h->s[i].machine, &m);
        machine_section(f, in->h, &m, in->conf);
        free(m.idx);
    }
    fputs("</body></html>\n", f);
}

int html_write(int dfd, const char *dir, const struct html_input *in, struct err *e)
{
    char *buf = NULL, path[4200];
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return err_sys(e, EXIT_RUNTIME, "report: open_memstream");
    page(f, in);
    fclose(f);
    snprintf(path, sizeof path, "%s/report.html", dir);
    int rc = atomic_write_at(dfd, "report.html", path, buf, len, 0644, e);
    free(buf);
    return rc;
}
