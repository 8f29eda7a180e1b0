/* scaling_fit.h: the scaling model T(N) = a + b N^c fitted to (ranks,
 * seconds) points with GSL's nonlinear least squares, and its extrapolation. */
#ifndef SCALING_FIT_H
#define SCALING_FIT_H

#include "base/err.h"

struct scaling_fit {
    double a, b, c;          /* T(N) = a + b N^c, seconds */
    double sa, sb, sc;       /* their standard errors; NAN when the points leave no degree of freedom */
    double cov[3][3];        /* covariance of (a, b, c), scaled by the residual variance */
    double rms_rel;          /* root mean square of (model - t) / t over the points */
    int points, dof;
};

/* Fits the model to COUNT points (N[i], T[i]), all positive. Residuals are
 * relative, (model - t) / t: times at 100 ranks and 10,000 ranks differ a
 * hundredfold and each should count alike. Needs at least 3 points at 3
 * distinct N. Returns 0, or -1 with E set. */
int scaling_fit(const double *n, const double *t, int count, struct scaling_fit *f, struct err *e);

/* T(N) under F; *SIGMA (if given) its standard error from the parameters'
 * covariance (first-order propagation), NAN when unknown. */
double scaling_predict(const struct scaling_fit *f, double n, double *sigma);

#endif
