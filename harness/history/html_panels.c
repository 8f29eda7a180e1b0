/* html_panels.c: the per-setup panels. A panel's y axis is its own (log
 * when its times span more than 10x): a 0.2 s setup beside a 70 s one is
 * read on its own scale, not as a flat line at zero. */
#include "history/html_panels.h"

#include <math.h>
#include <stdlib.h>
#include <time.h>

#include "history/changepoints.h"
#include "history/plot.h"
#include "history/svg.h"
#include "history/thin.h"

#define PANEL_W 340
#define PANEL_H 210
#define RUG 12           /* pixels under the values for the failure marks */
#define RUN_R 2.3        /* a run's marker's radius: runs closer than its diameter are drawn once */
#define LABEL_ROWS 6     /* rows the change points' labels stagger over */
#define LABEL_W 36.0     /* "x1.33" at 11px bold, and a gap */

static struct frame panel_frame(void)
{
    return (struct frame){.w = PANEL_W, .h = PANEL_H, .left = 50, .right = PANEL_W - 10, .top = 8,
                          .bottom = PANEL_H - 24};
}

static void y_axis(struct axis *y, const struct frame *fr, const double *v, int n)
{
    double lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < n; i++)
        lo = fmin(lo, v[i]), hi = fmax(hi, v[i]);
    *y = (struct axis){.p0 = fr->bottom - RUG, .p1 = fr->top + 4, .kind = AXIS_VALUE};
    axis_fit(y, n ? lo : 0, n ? hi : 1, 1);
}

static void run_tip(double t, double v, const char *what, char *buf, size_t len)
{
    char when[64];
    format_utc(t, when, sizeof when);
    if (isnan(v))
        snprintf(buf, len, "%s: %s", when, what);
    else
        snprintf(buf, len, "%s: %.3f s", when, v);
}

static void failure_marks(FILE *f, const struct setup *s, const struct axis *x, const struct frame *fr)
{
    static const struct {
        enum run_state state;
        int marker, hollow;
        const char *colour, *what;
    } kinds[] = {{RUN_FAILED, 5, 0, MARK_FAILED, "failed"},
                 {RUN_TIMEOUT, 4, 0, MARK_TIMEOUT, "timed out"},
                 {RUN_LOST, 0, 1, MARK_LOST, "lost (never reported)"}};
    char tip[128];
    int *idx = malloc((size_t)(s->nruns + 1) * sizeof *idx), *keep = malloc((size_t)(s->nruns + 1) * sizeof *keep);
    double *px = malloc((size_t)(s->nruns + 1) * sizeof *px), *py = malloc((size_t)(s->nruns + 1) * sizeof *py);
    fputs("<g class=\"failures\">", f);
    /* Every kind is marked wherever it happened; marks that would cover
     * one another (a decade on 300 pixels) are drawn once. */
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        int n = 0;
        for (int i = 0; i < s->nruns; i++)
            if (s->runs[i].state == kinds[k].state) {
                idx[n] = i;
                px[n] = axis_px(x, s->runs[i].t);
                py[n++] = fr->bottom - RUG / 2.0;
            }
        int kept = thin_points(px, py, n, 3.0, keep);
        for (int j = 0; j < kept; j++) {
            run_tip(s->runs[idx[keep[j]]].t, NAN, kinds[k].what, tip, sizeof tip);
            svg_marker(f, kinds[k].marker, px[keep[j]], py[keep[j]], 3, kinds[k].colour, kinds[k].hollow, tip);
        }
    }
    fputs("</g>\n", f);
    free(idx);
    free(keep);
    free(px);
    free(py);
}

/* The first row whose labels end before [X0, X1) begins; when every row
 * is taken there, the one that ends soonest. Marks the span taken. */
static int label_row(double *ends, double x0, double x1)
{
    int best = 0;
    for (int r = 0; r < LABEL_ROWS; r++) {
        if (ends[r] <= x0) {
            best = r;
            break;
        }
        best = ends[r] < ends[best] ? r : best;
    }
    ends[best] = x1;
    return best;
}

/* Changes in time order; a label that would overlap one to its left
 * goes a row down (x1.33 and x1.07 three days apart on a 60-day axis). */
static void change_marks(FILE *f, const struct setup *s, const struct axis *x, const struct frame *fr)
{
    double ends[LABEL_ROWS];
    for (int r = 0; r < LABEL_ROWS; r++)
        ends[r] = -INFINITY;
    for (int k = 0; k < s->nchanges; k++) {
        const struct change *c = &s->changes[k];
        char when[64];
        double px = axis_px(x, c->t);
        int left = px > fr->right - LABEL_W;   /* near the right edge: the label ends at the line */
        double x0 = left ? px - 3 - LABEL_W : px + 3;
        int row = label_row(ends, x0, x0 + LABEL_W);
        format_utc(c->t, when, sizeof when);
        fprintf(f, "<g class=\"changepoint\" data-ratio=\"%.3f\"><title>change point %s: median %.3f s -> %.3f s "
                "(x%.2f, p = %.4f)</title><line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>"
                "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">x%.2f</text></g>\n",
                c->ratio, when, c->median_before, c->median_after, c->ratio, c->pvalue, px, px, fr->top, fr->bottom - RUG,
                left ? px - 3 : px + 3, fr->top + 12 + 12.0 * row, left ? "end" : "start", c->ratio);
    }
}

/* The hour (UTC, fractional) a run started at. */
static double hour_of(double t)
{
    double day = fmod(t, 86400.0);
    return (day < 0 ? day + 86400.0 : day) / 3600.0;
}

/* Each ok run's pixels: X of its time (or of its hour of day, BY_HOUR), Y of its elapsed time. */
static void run_pixels(const struct setup *s, const struct axis *x, const struct axis *y, int by_hour, double *px,
                       double *py)
{
    for (int i = 0; i < s->nok; i++) {
        px[i] = axis_px(x, by_hour ? hour_of(s->ok_t[i]) : s->ok_t[i]);
        py[i] = axis_px(y, s->ok_y[i]);
    }
}

/* The ok runs at pixels (PX, PY), one marker per marker-sized cell. */
static void run_markers(FILE *f, const struct setup *s, const double *px, const double *py, int series, double r)
{
    int *keep = malloc((size_t)(s->nok + 1) * sizeof *keep), kept = thin_points(px, py, s->nok, 2 * r, keep);
    char tip[128];
    fputs("<g class=\"runs\">", f);
    for (int j = 0; j < kept; j++) {
        run_tip(s->ok_t[keep[j]], s->ok_y[keep[j]], "", tip, sizeof tip);
        svg_marker(f, series_marker(series), px[keep[j]], py[keep[j]], r, series_colour(series), 0, tip);
    }
    fputs("</g>\n", f);
    free(keep);
}

static void running_median_line(FILE *f, const struct setup *s, const struct axis *x, const struct axis *y,
                                const char *colour)
{
    double *med = malloc((size_t)(s->nok + 1) * sizeof *med), *px = malloc((size_t)(s->nok + 1) * sizeof *px);
    running_median(s->ok_y, s->nok, RUNNING_MEDIAN_RUNS, med);
    for (int i = 0; i < s->nok; i++) {
        px[i] = axis_px(x, s->ok_t[i]);
        med[i] = axis_px(y, med[i]);
    }
    double *lx = malloc((size_t)(s->nok + 1) * sizeof *lx), *ly = malloc((size_t)(s->nok + 1) * sizeof *ly);
    int n = thin_line(px, med, s->nok, lx, ly);
    fputs("<g class=\"median\">", f);
    svg_polyline(f, lx, ly, n, colour, 2.2, NULL);
    fputs("</g>\n", f);
    free(med);
    free(px);
    free(lx);
    free(ly);
}

static void panel_heading(FILE *f, const struct setup *s)
{
    int count[4] = {0};
    for (int i = 0; i < s->nruns; i++)
        count[s->runs[i].state]++;
    fputs("<figcaption><b>", f);
    html_text(f, s->filesystem);
    fprintf(f, "</b> &middot; %d ranks &middot; ", s->ranks);
    html_text(f, s->suite);
    fprintf(f, "<br><span class=\"counts\">%d ok, %d failed, %d timeout, %d lost</span></figcaption>\n", count[RUN_OK],
            count[RUN_FAILED], count[RUN_TIMEOUT], count[RUN_LOST]);
}

void panel_over_time(FILE *f, const struct setup *s, int series, double t0, double t1)
{
    struct frame fr = panel_frame();
    struct axis x = {.p0 = fr.left, .p1 = fr.right, .kind = AXIS_DATE}, y;
    axis_fit(&x, t0, t1, 0);
    y_axis(&y, &fr, s->ok_y, s->nok);
    char label[1024];
    setup_label(s, label, sizeof label);
    fprintf(f, "<figure class=\"panel\" data-setup=\"");
    html_text(f, label);
    fputs("\">", f);
    panel_heading(f, s);
    svg_open(f, &fr, "over-time", label);
    svg_axes(f, &fr, &x, &y, "elapsed, s");
    double *px = malloc((size_t)(s->nok + 1) * sizeof *px), *py = malloc((size_t)(s->nok + 1) * sizeof *py);
    run_pixels(s, &x, &y, 0, px, py);
    run_markers(f, s, px, py, series, RUN_R);
    free(px);
    free(py);
    running_median_line(f, s, &x, &y, series_colour(series));
    failure_marks(f, s, &x, &fr);
    change_marks(f, s, &x, &fr);
    svg_close(f);
    fputs("</figure>\n", f);
}

static void hour_medians(FILE *f, const struct setup *s, const struct axis *x, const struct axis *y,
                         const char *colour)
{
    double *v = malloc((size_t)(s->nok + 1) * sizeof *v), px[24], py[24];
    int n = 0;
    for (int h = 0; h < 24; h++) {
        int k = 0;
        for (int i = 0; i < s->nok; i++)
            if ((int)hour_of(s->ok_t[i]) == h)
                v[k++] = s->ok_y[i];
        if (k) {
            px[n] = axis_px(x, h + 0.5);
            py[n++] = axis_px(y, median_of(v, k));
        }
    }
    fputs("<g class=\"median\">", f);
    svg_polyline(f, px, py, n, colour, 2.2, NULL);
    fputs("</g>\n", f);
    free(v);
}

void panel_by_hour(FILE *f, const struct setup *s, int series)
{
    struct frame fr = panel_frame();
    struct axis x = {.p0 = fr.left, .p1 = fr.right, .kind = AXIS_HOUR}, y;
    axis_fit(&x, 0, 24, 0);
    y_axis(&y, &fr, s->ok_y, s->nok);
    char label[1024];
    setup_label(s, label, sizeof label);
    fputs("<figure class=\"hour-panel\" data-setup=\"", f);
    html_text(f, label);
    fputs("\">", f);
    panel_heading(f, s);
    svg_open(f, &fr, "by-hour", label);
    svg_axes(f, &fr, &x, &y, "elapsed, s");
    double *px = malloc((size_t)(s->nok + 1) * sizeof *px), *py = malloc((size_t)(s->nok + 1) * sizeof *py);
    run_pixels(s, &x, &y, 1, px, py);
    run_markers(f, s, px, py, series, 2);
    free(px);
    free(py);
    hour_medians(f, s, &x, &y, series_colour(series));
    fprintf(f, "<text class=\"tick\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">hour of day, UTC</text>\n",
            (fr.left + fr.right) / 2, PANEL_H - 2);
    svg_close(f);
    fputs("</figure>\n", f);
}
