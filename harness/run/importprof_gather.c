/* importprof_gather.c: the profile's collective part: every rank's times
 * in rank 0's module order, one MPI_Gather, ranked by median self time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/collective.h"
#include "run/importprof.h"
#include "base/stats.h"

/* Rank 0's module names, NUL-separated, to every rank; *COUNT of them. */
static char *bcast_names(MPI_Comm comm, const struct prof *mine, int *count)
{
    int rank;
    long long len = 0;
    char *names = NULL;
    MPI_Comm_rank(comm, &rank);
    if (rank == 0) {
        for (int i = 0; i < mine->n; i++)
            len += (long long)strlen(mine->v[i].module) + 1;
        names = malloc((size_t)len + 1);
        char *w = names;
        for (int i = 0; i < mine->n; i++)
            w = stpcpy(w, mine->v[i].module) + 1;
        *count = mine->n;
    }
    MPI_Bcast(count, 1, MPI_INT, 0, comm);
    coll_bcast_blob(comm, 0, &names, len);
    return names;
}

struct ranked {
    int index;
    double self_median;
};

static int by_self_desc(const void *a, const void *b)
{
    double x = ((const struct ranked *)a)->self_median, y = ((const struct ranked *)b)->self_median;
    return (x < y) - (x > y);
}

/* The values of module M over the ranks that imported it: K of them. */
static int module_values(const double *values, int nmod, int size, int m, double *self, double *cum)
{
    int k = 0;
    for (int r = 0; r < size; r++) {
        const double *v = values + (size_t)r * 2 * (size_t)nmod + 2 * (size_t)m;
        if (v[0] >= 0) {
            self[k] = v[0];
            cum[k++] = v[1];
        }
    }
    return k;
}

/* VALUES[r][2*m + 0/1]: self and cumulative of module m on rank r, -1 where
 * that rank did not import it. */
static void summarize(char *names, int nmod, const double *values, int size, int top, struct import_profile *out)
{
    struct ranked *order = malloc((size_t)(nmod ? nmod : 1) * sizeof *order);
    double *self = malloc((size_t)size * sizeof *self), *cum = malloc((size_t)size * sizeof *cum);
    const char **name_of = malloc((size_t)(nmod ? nmod : 1) * sizeof *name_of);
    for (int m = 0, off = 0; m < nmod; m++) {
        name_of[m] = names + off;
        off += (int)strlen(names + off) + 1;
        int k = module_values(values, nmod, size, m, self, cum);
        struct stats s;
        stats_compute(self, (size_t)k, &s);
        order[m] = (struct ranked){m, s.median};
    }
    qsort(order, (size_t)nmod, sizeof *order, by_self_desc);

    out->done = 1;
    out->ranks = size;
    out->modules_seen = nmod;
    for (int i = 0; i < nmod && i < top && i < PROFILE_TOP; i++, out->n++) {
        int m = order[i].index, k = module_values(values, nmod, size, m, self, cum);
        struct profile_module *pm = &out->top[i];
        struct stats ss, cs;
        stats_compute(self, (size_t)k, &ss);
        stats_compute(cum, (size_t)k, &cs);
        snprintf(pm->module, sizeof pm->module, "%s", name_of[m]);
        pm->ranks = k;
        pm->self_median_us = ss.median;
        pm->self_max_us = ss.max;
        pm->cumulative_median_us = cs.median;
        pm->cumulative_max_us = cs.max;
    }
    free(order);
    free(self);
    free(cum);
    free(name_of);
}

void importprof_aggregate(MPI_Comm comm, const struct prof *mine, int top, struct import_profile *out)
{
    int rank, size, nmod = 0;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    char *names = bcast_names(comm, mine, &nmod);

    double *row = malloc((size_t)(nmod ? nmod : 1) * 2 * sizeof *row);
    for (int m = 0, off = 0; m < nmod; m++) {
        const char *name = names + off;
        off += (int)strlen(name) + 1;
        row[2 * m] = row[2 * m + 1] = -1;
        for (int i = 0; i < mine->n; i++)
            if (strcmp(mine->v[i].module, name) == 0) {
                row[2 * m] = mine->v[i].self_us;
                row[2 * m + 1] = mine->v[i].cumulative_us;
                break;
            }
    }
    double *all = rank == 0 ? malloc((size_t)size * (size_t)(nmod ? nmod : 1) * 2 * sizeof *all) : NULL;
    MPI_Gather(row, 2 * nmod, MPI_DOUBLE, all, 2 * nmod, MPI_DOUBLE, 0, comm);
    if (rank == 0)
        summarize(names, nmod, all, size, top, out);
    free(all);
    free(row);
    free(names);
}
