/* scaling_fit.c: T(N) = a + b N^c by gsl_multifit_nlinear (trust region,
 * Levenberg-Marquardt), started from a log-log line through the points. */
#include "history/scaling_fit.h"

#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_multifit_nlinear.h>
#include <gsl/gsl_vector.h>
#include <math.h>
#include <stdlib.h>

struct points {
    const double *n, *t;
    int count;
};

static int residuals(const gsl_vector *x, void *data, gsl_vector *r)
{
    const struct points *p = data;
    double a = gsl_vector_get(x, 0), b = gsl_vector_get(x, 1), c = gsl_vector_get(x, 2);
    for (int i = 0; i < p->count; i++)
        gsl_vector_set(r, (size_t)i, (a + b * pow(p->n[i], c) - p->t[i]) / p->t[i]);
    return GSL_SUCCESS;
}

static int jacobian(const gsl_vector *x, void *data, gsl_matrix *j)
{
    const struct points *p = data;
    double b = gsl_vector_get(x, 1), c = gsl_vector_get(x, 2);
    for (int i = 0; i < p->count; i++) {
        double nc = pow(p->n[i], c), w = 1.0 / p->t[i];
        gsl_matrix_set(j, (size_t)i, 0, w);
        gsl_matrix_set(j, (size_t)i, 1, nc * w);
        gsl_matrix_set(j, (size_t)i, 2, b * nc * log(p->n[i]) * w);
    }
    return GSL_SUCCESS;
}

/* A start the solver converges from: a at half the fastest time, then
 * b and c from least squares of log(t - a) on log(n). */
static void initial_guess(const struct points *p, double x0[3])
{
    double tmin = p->t[0];
    for (int i = 1; i < p->count; i++)
        tmin = fmin(tmin, p->t[i]);
    double a = 0.5 * tmin, sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (int i = 0; i < p->count; i++) {
        double lx = log(p->n[i]), ly = log(p->t[i] - a);
        sx += lx, sy += ly, sxx += lx * lx, sxy += lx * ly;
    }
    double k = p->count, den = k * sxx - sx * sx;
    double c = den > 0 ? (k * sxy - sx * sy) / den : 1.0;
    x0[0] = a;
    x0[1] = exp((sy - c * sx) / k);
    x0[2] = c;
}

static int distinct_n(const double *n, int count)
{
    int d = 0;
    for (int i = 0; i < count; i++) {
        int seen = 0;
        for (int j = 0; j < i && !seen; j++)
            seen = n[j] == n[i];
        d += !seen;
    }
    return d;
}

static int check_points(const double *n, const double *t, int count, struct err *e)
{
    for (int i = 0; i < count; i++)
        if (!(n[i] > 0) || !(t[i] > 0) || !isfinite(n[i]) || !isfinite(t[i]))
            return err_set(e, EXIT_RUNTIME, "scaling fit: point %d (%g ranks, %g s) is not positive", i, n[i], t[i]);
    if (distinct_n(n, count) < 3)
        return err_set(e, EXIT_RUNTIME, "scaling fit: %d distinct rank counts, at least 3 needed",
                       distinct_n(n, count));
    return 0;
}

/* Parameters, covariance and the fit's error from the solved workspace. */
static void fill_result(gsl_multifit_nlinear_workspace *w, const struct points *p, struct scaling_fit *f)
{
    gsl_vector *x = gsl_multifit_nlinear_position(w);
    gsl_matrix *covar = gsl_matrix_alloc(3, 3);
    double chisq;
    gsl_blas_ddot(gsl_multifit_nlinear_residual(w), gsl_multifit_nlinear_residual(w), &chisq);
    gsl_multifit_nlinear_covar(gsl_multifit_nlinear_jac(w), 0.0, covar);
    f->a = gsl_vector_get(x, 0), f->b = gsl_vector_get(x, 1), f->c = gsl_vector_get(x, 2);
    f->points = p->count;
    f->dof = p->count - 3;
    f->rms_rel = sqrt(chisq / p->count);
    /* With no degree of freedom left the residuals say nothing of the noise. */
    double s2 = f->dof > 0 ? chisq / f->dof : NAN;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            f->cov[i][j] = s2 * gsl_matrix_get(covar, (size_t)i, (size_t)j);
    f->sa = sqrt(f->cov[0][0]), f->sb = sqrt(f->cov[1][1]), f->sc = sqrt(f->cov[2][2]);
    gsl_matrix_free(covar);
}

int scaling_fit(const double *n, const double *t, int count, struct scaling_fit *f, struct err *e)
{
    if (check_points(n, t, count, e) < 0)
        return -1;
    struct points p = {n, t, count};
    double x0[3];
    initial_guess(&p, x0);
    gsl_vector_view start = gsl_vector_view_array(x0, 3);
    gsl_multifit_nlinear_fdf fdf = {.f = residuals, .df = jacobian, .n = (size_t)count, .p = 3, .params = &p};
    gsl_multifit_nlinear_parameters params = gsl_multifit_nlinear_default_parameters();
    gsl_multifit_nlinear_workspace *w =
        gsl_multifit_nlinear_alloc(gsl_multifit_nlinear_trust, &params, (size_t)count, 3);
    /* GSL's default handler aborts the process; errors come back as codes. */
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    int info, rc = gsl_multifit_nlinear_init(&start.vector, &fdf, w);
    if (rc == GSL_SUCCESS)
        rc = gsl_multifit_nlinear_driver(200, 1e-10, 1e-10, 1e-10, NULL, NULL, &info, w);
    if (rc == GSL_SUCCESS || rc == GSL_EMAXITER)
        fill_result(w, &p, f);
    gsl_set_error_handler(old);
    gsl_multifit_nlinear_free(w);
    if (rc != GSL_SUCCESS && rc != GSL_EMAXITER)
        return err_set(e, EXIT_RUNTIME, "scaling fit: %s", gsl_strerror(rc));
    return 0;
}

double scaling_predict(const struct scaling_fit *f, double n, double *sigma)
{
    double nc = pow(n, f->c);
    double g[3] = {1.0, nc, f->b * nc * log(n)};
    if (sigma) {
        double v = 0;
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
                v += g[i] * f->cov[i][j] * g[j];
        *sigma = v >= 0 ? sqrt(v) : NAN;
    }
    return f->a + f->b * nc;
}
