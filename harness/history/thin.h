/* thin.h: what a panel draws of thousands of runs: one marker per cell of
 * the markers' size (the others lie under it), and a line by pixel column. */
#ifndef THIN_H
#define THIN_H

/* Of N points at pixels (X[i], Y[i]), the first in each CELL x CELL
 * square, in their order: their indexes into KEEP (N of room). Returns
 * how many. */
int thin_points(const double *x, const double *y, int n, double cell, int *keep);

/* A polyline of N points (X ascending) as a pixel column shows it: per
 * column the first, lowest, highest and last point, in order, into OX and
 * OY (N of room). Returns how many. */
int thin_line(const double *x, const double *y, int n, double *ox, double *oy);

#endif
