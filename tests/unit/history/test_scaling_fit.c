/* test_scaling_fit.c: the scaling model's fit recovers known parameters
 * from noisy synthetic data, and refuses what it cannot fit. */
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "../check.h"
#include "history/scaling_fit.h"

#define A 0.5
#define B 0.01
#define C 0.8
#define REPS 5
#define SIZES 14

static double within(double got, double want)
{
    return fabs(got - want) / want;
}

int main(void)
{
    /* 1 to 8192 ranks, five runs each, 5% gaussian noise, a fixed seed. */
    double n[SIZES * REPS], t[SIZES * REPS];
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 42);
    for (int i = 0; i < SIZES; i++)
        for (int k = 0; k < REPS; k++) {
            double ranks = (double)(1 << i), truth = A + B * pow(ranks, C);
            n[i * REPS + k] = ranks;
            t[i * REPS + k] = truth * (1.0 + gsl_ran_gaussian(r, 0.05));
        }
    gsl_rng_free(r);

    struct scaling_fit f;
    struct err e = {0};
    CHECK(scaling_fit(n, t, SIZES * REPS, &f, &e) == 0);
    printf("a %.4f +- %.4f, b %.5f +- %.5f, c %.4f +- %.4f, rms %.3f\n", f.a, f.sa, f.b, f.sb, f.c, f.sc, f.rms_rel);
    CHECK(within(f.a, A) < 0.10);
    CHECK(within(f.b, B) < 0.10);
    CHECK(within(f.c, C) < 0.10);
    /* The noise put in is what the fit's error says it found. */
    CHECK(f.rms_rel > 0.03 && f.rms_rel < 0.07);
    CHECK(f.dof == SIZES * REPS - 3 && f.sa > 0 && f.sb > 0 && f.sc > 0);

    /* Extrapolation: twice the largest size, near the truth, with an
     * uncertainty that grows with the distance from the data. */
    double s_in, s_out;
    double mid = scaling_predict(&f, 1024, &s_in), far = scaling_predict(&f, 16384, &s_out);
    CHECK(within(mid, A + B * pow(1024, C)) < 0.05);
    CHECK(within(far, A + B * pow(16384, C)) < 0.10);
    CHECK(s_out > s_in && s_in > 0);

    /* Three points: an exact fit, with no error estimate. */
    double n3[] = {10, 100, 1000}, t3[3];
    for (int i = 0; i < 3; i++)
        t3[i] = A + B * pow(n3[i], C);
    CHECK(scaling_fit(n3, t3, 3, &f, &e) == 0);
    CHECK(within(f.c, C) < 0.01 && f.dof == 0 && isnan(f.sa));

    /* Two distinct sizes, or a time of zero: refused, saying why. */
    double n2[] = {10, 10, 100, 100}, t2[] = {1, 1.1, 2, 2.1};
    e = (struct err){0};
    CHECK(scaling_fit(n2, t2, 4, &f, &e) == -1);
    CHECK_CONTAINS(e.msg, "2 distinct rank counts, at least 3 needed");
    double tz[] = {1, 0, 2};
    e = (struct err){0};
    CHECK(scaling_fit(n3, tz, 3, &f, &e) == -1);
    CHECK_CONTAINS(e.msg, "point 1 (100 ranks, 0 s) is not positive");
    return check_summary();
}
