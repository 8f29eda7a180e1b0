/* svg.h: inline SVG for the HTML report: axes (linear, log, dates, hours),
 * markers by shape, lines, and text escaped for HTML and SVG alike. */
#ifndef SVG_H
#define SVG_H

#include <stdio.h>

enum axis_kind { AXIS_VALUE, AXIS_DATE, AXIS_HOUR };

struct axis {
    double lo, hi;       /* data range shown */
    int log;             /* log10 scale */
    double p0, p1;       /* pixels of lo and hi */
    enum axis_kind kind;
};

/* The panel geometry: plot area inside margins, a strip for failure marks. */
struct frame {
    int w, h;
    double left, right, top, bottom; /* the plot area, pixels */
};

/* Sets A over [LO, HI] (padded to round values): log10 when LOG_OK, the
 * values are positive and span more than 10x; a linear axis starts at 0. */
void axis_fit(struct axis *a, double lo, double hi, int log_ok);
double axis_px(const struct axis *a, double v);

/* Opens an <svg> of W x H with a class and an accessible title. */
void svg_open(FILE *f, const struct frame *fr, const char *cls, const char *title);
void svg_close(FILE *f);
/* Grid, ticks and labels of both axes; YLABEL along the y axis. */
void svg_axes(FILE *f, const struct frame *fr, const struct axis *x, const struct axis *y, const char *ylabel);

/* MARKER 0..5: circle, square, triangle, diamond, triangle down, star-ish
 * cross; HOLLOW draws the outline only. TIP is its hover text or NULL. */
void svg_marker(FILE *f, int marker, double x, double y, double r, const char *colour, int hollow, const char *tip);
void svg_polyline(FILE *f, const double *x, const double *y, int n, const char *colour, double width,
                  const char *dash);

/* S with & < > " ' escaped: safe in HTML text, attributes and SVG. */
void html_text(FILE *f, const char *s);

/* Colour-blind-safe series colours (Okabe and Ito) and markers: series I
 * gets colour I mod 7 and marker I mod 6, distinct for the first 42. */
const char *series_colour(int i);
int series_marker(int i);

#endif
