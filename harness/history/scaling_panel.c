/* scaling_panel.c: every ok run of the setups sharing machine, filesystem
 * and suite feeds the fit (the run-to-run scatter is its error); the
 * medians per rank count are what the reader sees. */
#include "history/scaling_panel.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "history/scaling_fit.h"
#include "history/svg.h"
#include "history/thin.h"

struct sizes {
    double *n, *t;       /* every ok run: ranks, seconds */
    int count;
    double rank[256], median[256]; /* per distinct rank count, ascending */
    int distinct;
};

static int same_group(const struct setup *s, const char *machine, const char *fs, const char *suite)
{
    return s->ranks > 0 && !strcmp(s->machine, machine) && !strcmp(s->filesystem, fs) && !strcmp(s->suite, suite);
}

/* Setups arrive ordered by ranks within machine, filesystem and suite. */
static void gather(const struct history *h, const char *machine, const char *fs, const char *suite, struct sizes *z)
{
    int total = 0;
    for (int i = 0; i < h->n; i++)
        total += same_group(&h->s[i], machine, fs, suite) ? h->s[i].nok : 0;
    *z = (struct sizes){.n = malloc((size_t)(total + 1) * sizeof(double)),
                        .t = malloc((size_t)(total + 1) * sizeof(double))};
    for (int i = 0; i < h->n && z->distinct < 256; i++) {
        const struct setup *s = &h->s[i];
        if (!same_group(s, machine, fs, suite) || !s->nok)
            continue;
        for (int j = 0; j < s->nok; j++) {
            z->n[z->count] = s->ranks;
            z->t[z->count++] = s->ok_y[j];
        }
        z->rank[z->distinct] = s->ranks;
        z->median[z->distinct++] = median_of(s->ok_y, s->nok);
    }
}

/* Every run in grey, one dot per dot-sized cell: thousands of runs at one
 * rank count are a column of dots, drawn once each. */
static void grey_runs(FILE *f, const struct sizes *z, const struct axis *x, const struct axis *y)
{
    double *px = malloc((size_t)(z->count + 1) * sizeof *px), *py = malloc((size_t)(z->count + 1) * sizeof *py);
    int *keep = malloc((size_t)(z->count + 1) * sizeof *keep);
    for (int i = 0; i < z->count; i++) {
        px[i] = axis_px(x, z->n[i]);
        py[i] = axis_px(y, z->t[i]);
    }
    int kept = thin_points(px, py, z->count, 2.6, keep);
    fputs("<g class=\"runs\">", f);
    for (int j = 0; j < kept; j++)
        svg_marker(f, 0, px[keep[j]], py[keep[j]], 1.3, "#999999", 0, NULL);
    fputs("</g>\n", f);
    free(px);
    free(py);
    free(keep);
}

/* Log-log whatever the span: a power law is a line there. Whole decades. */
static void log_axis(struct axis *a, double lo, double hi)
{
    a->log = 1;
    a->lo = pow(10, floor(log10(lo)));
    a->hi = pow(10, ceil(log10(hi)));
    if (a->hi <= a->lo)
        a->hi = a->lo * 10;
}

static void fit_note(FILE *f, const struct scaling_fit *fit, int target)
{
    fprintf(f, "<p class=\"fit\">T(N) = a + b&middot;N<sup>c</sup>: a = %.3g &plusmn; %.2g s, b = %.3g &plusmn; %.2g s, "
            "c = %.3f &plusmn; %.3f; fit error %.1f%% rms over %d runs",
            fit->a, fit->sa, fit->b, fit->sb, fit->c, fit->sc, 100 * fit->rms_rel, fit->points);
    if (target > 0) {
        double sigma, t = scaling_predict(fit, target, &sigma);
        fprintf(f, ".<br><b>At %d ranks</b> (the largest configured size): <b>%.3g &plusmn; %.2g s</b> (1&sigma;)",
                target, t, sigma);
    } else {
        fputs(". The machine is not in the config: no extrapolation", f);
    }
    fputs("</p>\n", f);
}

static void draw(FILE *f, const struct sizes *z, const struct scaling_fit *fit, int series, int target,
                 const char *title)
{
    struct frame fr = {.w = 400, .h = 250, .left = 52, .right = 390, .top = 10, .bottom = 222};
    double nmax = fmax(z->rank[z->distinct - 1], target), sigma = 0;
    double tpred = target > 0 ? scaling_predict(fit, target, &sigma) : 0;
    double lo = INFINITY, hi = tpred + (isfinite(sigma) ? sigma : 0);
    for (int i = 0; i < z->count; i++)
        lo = fmin(lo, z->t[i]), hi = fmax(hi, z->t[i]);
    struct axis x = {.p0 = fr.left, .p1 = fr.right, .kind = AXIS_VALUE};
    struct axis y = {.p0 = fr.bottom, .p1 = fr.top, .kind = AXIS_VALUE};
    log_axis(&x, z->rank[0] / 1.5, nmax * 1.5);
    log_axis(&y, lo / 1.5, hi * 1.5);
    svg_open(f, &fr, "scaling", title);
    svg_axes(f, &fr, &x, &y, "elapsed, s");
    fprintf(f, "<text class=\"tick\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">ranks (log)</text>\n",
            (fr.left + fr.right) / 2, fr.h - 2);
    double px[64], py[64];
    for (int i = 0; i < 64; i++) {
        double n = z->rank[0] * pow(nmax / z->rank[0], i / 63.0);
        px[i] = axis_px(&x, n);
        py[i] = axis_px(&y, fmax(scaling_predict(fit, n, NULL), y.lo));
    }
    fputs("<g class=\"fit-curve\">", f);
    svg_polyline(f, px, py, 64, "#444444", 1.5, "5 3");
    fputs("</g>", f);
    grey_runs(f, z, &x, &y);
    char tip[128];
    for (int i = 0; i < z->distinct; i++) {
        snprintf(tip, sizeof tip, "%g ranks: median %.3f s", z->rank[i], z->median[i]);
        svg_marker(f, series_marker(series), axis_px(&x, z->rank[i]), axis_px(&y, z->median[i]), 4.5,
                   series_colour(series), 0, tip);
    }
    if (target > 0) {
        double cx = axis_px(&x, target);
        double up = axis_px(&y, tpred + (isfinite(sigma) ? sigma : 0));
        double down = axis_px(&y, fmax(tpred - (isfinite(sigma) ? sigma : 0), y.lo));
        snprintf(tip, sizeof tip, "%d ranks: %.3g +- %.2g s (extrapolated)", target, tpred, sigma);
        fprintf(f, "<g class=\"extrapolation\"><line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>", cx, cx, up, down);
        svg_marker(f, series_marker(series), cx, axis_px(&y, tpred), 5, series_colour(series), 1, tip);
        fputs("</g>\n", f);
    }
    svg_close(f);
}

void panel_scaling(FILE *f, const struct history *h, const char *machine, const char *fs, const char *suite,
                   int series, int target)
{
    struct sizes z;
    gather(h, machine, fs, suite, &z);
    char title[1024];
    snprintf(title, sizeof title, "scaling of %s / %s / %s", machine, fs, suite);
    struct scaling_fit fit;
    struct err e = {0};
    if (z.distinct < SCALING_MIN_SIZES) {
        fputs("<p class=\"note\">", f);
        html_text(f, title);
        fprintf(f, ": ok runs at %d rank count%s; the curve needs %d or more.</p>\n", z.distinct,
                z.distinct == 1 ? "" : "s", SCALING_MIN_SIZES);
    } else if (scaling_fit(z.n, z.t, z.count, &fit, &e) < 0) {
        fputs("<p class=\"note\">", f);
        html_text(f, title);
        fputs(": ", f);
        html_text(f, e.msg);
        fputs("</p>\n", f);
    } else {
        fputs("<figure class=\"scaling-panel\" data-group=\"", f);
        html_text(f, title);
        fputs("\"><figcaption><b>", f);
        html_text(f, fs);
        fputs("</b> &middot; ", f);
        html_text(f, suite);
        fputs("</figcaption>", f);
        draw(f, &z, &fit, series, target, title);
        fit_note(f, &fit, target);
        fputs("</figure>\n", f);
    }
    free(z.n);
    free(z.t);
}
