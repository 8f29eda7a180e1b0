/* verdict_html.c: the verdict as the page's first section: tables a test
 * (or a reader's script) can read by class and data attribute. */
#include "history/verdict.h"

#include <math.h>
#include <stdarg.h>

#include "history/svg.h"

/* A cell of printf-formatted text, escaped; numbers right-aligned. */
static void td(FILE *f, int num, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    fputs(num ? "<td class=\"num\">" : "<td>", f);
    html_text(f, buf);
    fputs("</td>", f);
}

static void change_list(FILE *f, const struct setup *s, const struct gate_row *r)
{
    fputs("<td>", f);
    gate_changes_between(f, s, r, "; ");
    fputs("</td>", f);
}

static void regression_row(FILE *f, const struct history *h, const struct gate_row *r)
{
    const struct setup *s = &h->s[r->setup];
    char label[1024], now[64], base[64];
    setup_label(s, label, sizeof label);
    format_utc(r->now.t0, now, sizeof now);
    format_utc(r->base.t0, base, sizeof base);
    fprintf(f, "<tr class=\"slower\" data-ratio=\"%.3f\">", r->ratio);
    td(f, 0, "%s", label);
    td(f, 1, "%.2fx", r->ratio);
    td(f, 1, "%.3f", r->now.median);
    td(f, 0, "%s", now);
    td(f, 1, "%.3f", r->base.median);
    td(f, 0, "%s (%s)", base, baseline_what(r->kind));
    change_list(f, s, r);
    fputs("</tr>\n", f);
}

static void regressions(FILE *f, const struct verdict *v)
{
    if (!v->scan->ran) {
        fputs("<p class=\"warning\" id=\"regressions-unjudged\">Regressions not judged: otava is missing.</p>\n", f);
        return;
    }
    fprintf(f, "<h3>Regressions: %d setup%s slower than its baseline by more than %.2fx</h3>\n", v->g->regressions,
            v->g->regressions == 1 ? "" : "s", v->g->ratio);
    if (!v->g->regressions)
        return;
    fputs("<table class=\"regressions\"><tr><th>setup</th><th>ratio</th><th>now, s</th><th>since</th>"
          "<th>baseline, s</th><th>baseline from</th><th>change points between</th></tr>\n", f);
    for (int i = 0; i < v->g->n; i++)
        if (v->g->rows[i].regression)
            regression_row(f, v->h, &v->g->rows[i]);
    fputs("</table>\n", f);
}

static void ranking(FILE *f, const struct verdict *v, const struct ranking *r)
{
    fputs("<table class=\"ranking\" data-machine=\"", f);
    html_text(f, r->machine);
    fprintf(f, "\" data-ranks=\"%d\" data-suite=\"", r->ranks);
    html_text(f, r->suite);
    fputs("\"><caption>", f);
    html_text(f, r->machine);
    fprintf(f, " at %d ranks, ", r->ranks);
    html_text(f, r->suite);
    fputs("</caption><tr><th>#</th><th>filesystem</th><th>kind</th><th>median, s</th><th>ratio</th></tr>\n", f);
    for (int k = 0; k < r->n; k++) {
        const struct setup *s = &v->h->s[r->e[k].setup];
        fputs("<tr data-fs=\"", f);
        html_text(f, s->filesystem);
        fprintf(f, "\" data-ratio=\"%.4f\">", r->e[k].ratio);
        td(f, 1, "%d", k + 1);
        td(f, 0, "%s", s->filesystem);
        td(f, 0, "%s", s->kind[0] ? s->kind : "?");
        td(f, 1, "%.3f", r->e[k].median);
        if (isnan(r->e[k].ratio))
            td(f, 1, "-");
        else
            td(f, 1, "%.2fx %s", r->e[k].ratio, v->h->s[r->ref].filesystem);
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
}

static void failures(FILE *f, const struct history *h)
{
    int any = 0, count[4];
    double latest;
    for (int i = 0; i < h->n; i++) {
        if (!setup_failures(&h->s[i], count, &latest))
            continue;
        if (!any++)
            fputs("<table class=\"failures\"><tr><th>setup</th><th>failed</th><th>timed out</th><th>lost</th>"
                  "<th>latest</th></tr>\n", f);
        char label[1024], when[64];
        setup_label(&h->s[i], label, sizeof label);
        format_utc(latest, when, sizeof when);
        fputs("<tr>", f);
        td(f, 0, "%s", label);
        td(f, 1, "%d", count[RUN_FAILED]);
        td(f, 1, "%d", count[RUN_TIMEOUT]);
        td(f, 1, "%d", count[RUN_LOST]);
        td(f, 0, "%s", when);
        fputs("</tr>\n", f);
    }
    fputs(any ? "</table>\n" : "<p>None.</p>\n", f);
}

void verdict_html(FILE *f, const struct verdict *v)
{
    fputs("<section id=\"verdict\"><h2>Verdict</h2>\n", f);
    regressions(f, v);
    fputs("<h3>Fastest first: current median time to first import (staging + import), per machine and size, "
          "with its ratio to the in-place import</h3>\n<div class=\"rankings\">", f);
    for (int i = 0; i < v->n; i++)
        ranking(f, v, &v->r[i]);
    fputs("</div>\n<h3>Runs that failed, timed out or were lost</h3>\n", f);
    failures(f, v->h);
    fputs("</section>\n", f);
}
