/* svg.c: the drawing primitives of the report's panels. Tick positions
 * are round numbers (1, 2, 5 x 10^k, whole days, every 3 hours). */
#include "history/svg.h"

#include <math.h>
#include <time.h>

static const char *const colours[] = {"#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000"};

const char *series_colour(int i)
{
    return colours[i % 7];
}

int series_marker(int i)
{
    return i % 6;
}

void html_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default: fputc((unsigned char)*s < 0x20 ? ' ' : *s, f);
        }
    }
}

static double nice_step(double span, int ticks)
{
    double raw = span / ticks, mag = pow(10, floor(log10(raw))), r = raw / mag;
    return (r <= 1 ? 1 : r <= 2 ? 2 : r <= 5 ? 5 : 10) * mag;
}

void axis_fit(struct axis *a, double lo, double hi, int log_ok)
{
    if (!(hi > lo)) {
        double mid = isfinite(lo) ? lo : 1;
        lo = mid > 0 ? mid * 0.5 : mid - 1;
        hi = mid > 0 ? mid * 1.5 : mid + 1;
    }
    a->log = log_ok && lo > 0 && hi / lo > 10;
    if (a->log) {
        a->lo = pow(10, floor(log10(lo)));
        a->hi = pow(10, ceil(log10(hi)));
    } else if (a->kind == AXIS_VALUE) {
        double step = nice_step(hi - (lo > 0 ? 0 : lo), 4);
        a->lo = lo > 0 ? 0 : floor(lo / step) * step;
        a->hi = ceil(hi / step) * step;
    } else {
        a->lo = lo;
        a->hi = hi;
    }
}

double axis_px(const struct axis *a, double v)
{
    double u = a->log ? (log10(v) - log10(a->lo)) / (log10(a->hi) - log10(a->lo)) : (v - a->lo) / (a->hi - a->lo);
    return a->p0 + u * (a->p1 - a->p0);
}

void svg_open(FILE *f, const struct frame *fr, const char *cls, const char *title)
{
    fprintf(f, "<svg class=\"%s\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
            "role=\"img\"><title>", cls, fr->w, fr->h, fr->w, fr->h);
    html_text(f, title);
    fprintf(f, "</title><rect class=\"plot\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>\n", fr->left,
            fr->top, fr->right - fr->left, fr->bottom - fr->top);
}

void svg_close(FILE *f)
{
    fputs("</svg>\n", f);
}

static void value_label(double v, char *buf, size_t len)
{
    if (fabs(v) < 1e-12)
        v = 0;   /* a step sum's rounding, not "-0" */
    if (v != 0 && (fabs(v) >= 10000 || fabs(v) < 0.001))
        snprintf(buf, len, "%.0e", v);
    else
        snprintf(buf, len, "%g", v);
}

/* Tick values of A into T (at most MAX): decades (with 2 and 5 within
 * few decades) on a log axis, round steps on a linear one. */
static int ticks(const struct axis *a, double *t, int max)
{
    int n = 0;
    if (a->log) {
        int decades = (int)lround(log10(a->hi / a->lo));
        for (double d = a->lo; d <= a->hi * 1.0001 && n < max; d *= 10) {
            t[n++] = d;
            for (int k = 2; decades <= 2 && k <= 5 && d * k < a->hi && n < max; k += 3)
                t[n++] = d * k;
        }
        return n;
    }
    double step = a->kind == AXIS_HOUR ? 3 : a->kind == AXIS_DATE ? 86400 * fmax(1, ceil((a->hi - a->lo) / 86400 / 6))
                                                                  : nice_step(a->hi - a->lo, 4);
    double first = a->kind == AXIS_DATE ? ceil(a->lo / 86400) * 86400 : ceil(a->lo / step - 1e-9) * step;
    for (double v = first; v <= a->hi + 1e-9 * fabs(a->hi) && n < max; v += step)
        t[n++] = v;
    return n;
}

static void tick_label(const struct axis *a, double v, char *buf, size_t len)
{
    if (a->kind == AXIS_DATE) {
        time_t s = (time_t)v;
        struct tm tm;
        strftime(buf, len, "%m-%d", gmtime_r(&s, &tm));
    } else {
        value_label(v, buf, len);
    }
}

void svg_axes(FILE *f, const struct frame *fr, const struct axis *x, const struct axis *y, const char *ylabel)
{
    double t[64];
    char label[64];
    int n = ticks(y, t, 64);
    for (int i = 0; i < n; i++) {
        double py = axis_px(y, t[i]);
        value_label(t[i], label, sizeof label);
        fprintf(f, "<line class=\"grid\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>"
                "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
                fr->left, fr->right, py, py, fr->left - 4, py + 3.5, label);
    }
    n = ticks(x, t, 64);
    for (int i = 0; i < n; i++) {
        double px = axis_px(x, t[i]);
        tick_label(x, t[i], label, sizeof label);
        fprintf(f, "<line class=\"grid\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>"
                "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n",
                px, px, fr->top, fr->bottom, px, fr->bottom + 13, label);
    }
    fprintf(f, "<text class=\"axis-label\" transform=\"translate(11 %.1f) rotate(-90)\" text-anchor=\"middle\">",
            (fr->top + fr->bottom) / 2);
    html_text(f, ylabel);
    fprintf(f, "%s</text>\n", y->log ? " (log)" : "");
}

void svg_marker(FILE *f, int marker, double x, double y, double r, const char *colour, int hollow, const char *tip)
{
    char paint[96];
    snprintf(paint, sizeof paint, hollow ? "fill=\"none\" stroke=\"%s\" stroke-width=\"1.3\"" : "fill=\"%s\"", colour);
    switch (marker) {
    case 0: fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" %s>", x, y, r, paint); break;
    case 1: fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" %s>", x - r, y - r, 2 * r, 2 * r, paint); break;
    case 2: fprintf(f, "<path d=\"M%.1f %.1fL%.1f %.1fL%.1f %.1fZ\" %s>", x, y - r * 1.2, x + r * 1.1, y + r * 0.8,
                    x - r * 1.1, y + r * 0.8, paint); break;
    case 3: fprintf(f, "<path d=\"M%.1f %.1fL%.1f %.1fL%.1f %.1fL%.1f %.1fZ\" %s>", x, y - r * 1.3, x + r * 1.1, y,
                    x, y + r * 1.3, x - r * 1.1, y, paint); break;
    case 4: fprintf(f, "<path d=\"M%.1f %.1fL%.1f %.1fL%.1f %.1fZ\" %s>", x, y + r * 1.2, x + r * 1.1, y - r * 0.8,
                    x - r * 1.1, y - r * 0.8, paint); break;
    default: fprintf(f, "<path d=\"M%.1f %.1fL%.1f %.1fM%.1f %.1fL%.1f %.1f\" stroke=\"%s\" stroke-width=\"2\" fill=\"none\">",
                     x - r, y - r, x + r, y + r, x - r, y + r, x + r, y - r, colour);
    }
    if (tip) {
        fputs("<title>", f);
        html_text(f, tip);
        fputs("</title>", f);
    }
    fputs(marker == 0 ? "</circle>" : marker == 1 ? "</rect>" : "</path>", f);
}

void svg_polyline(FILE *f, const double *x, const double *y, int n, const char *colour, double width,
                  const char *dash)
{
    if (n < 2)
        return;
    fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"%.1f\"%s%s%s points=\"", colour, width,
            dash ? " stroke-dasharray=\"" : "", dash ? dash : "", dash ? "\"" : "");
    for (int i = 0; i < n; i++)
        fprintf(f, "%s%.1f,%.1f", i ? " " : "", x[i], y[i]);
    fputs("\"/>\n", f);
}
