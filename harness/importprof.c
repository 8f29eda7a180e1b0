/* importprof.c: parsing -X importtime and the collective aggregation.
 * Fixed-size arrays in rank 0's module order keep the gather one MPI_Gather. */
#include "importprof.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"

static int add_entry(struct prof *p, const char *name, size_t len, double self, double cum)
{
    for (int i = 0; i < p->n; i++)
        if (strlen(p->v[i].module) == len && strncmp(p->v[i].module, name, len) == 0) {
            p->v[i].self_us += self;
            p->v[i].cumulative_us += cum;
            return 0;
        }
    if (p->n == p->cap) {
        int cap = p->cap ? p->cap * 2 : 256;
        struct prof_entry *v = realloc(p->v, (size_t)cap * sizeof *v);
        if (!v)
            return -1;
        p->v = v;
        p->cap = cap;
    }
    p->v[p->n].module = strndup(name, len);
    p->v[p->n].self_us = self;
    p->v[p->n].cumulative_us = cum;
    p->n++;
    return 0;
}

int importprof_parse(const char *text, struct prof *p)
{
    static const char tag[] = "import time:";
    memset(p, 0, sizeof *p);
    for (const char *line = text; line && *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        double self, cum;
        int name_at = 0;
        /* The header line ("self [us] | ...") does not scan as numbers. */
        if (len > sizeof tag && strncmp(line, tag, sizeof tag - 1) == 0 &&
            sscanf(line + sizeof tag - 1, " %lf | %lf | %n", &self, &cum, &name_at) == 2 && name_at > 0) {
            const char *name = line + sizeof tag - 1 + name_at;
            size_t nlen = len - (size_t)(name - line);
            while (nlen && (*name == ' '))
                name++, nlen--;
            while (nlen && (name[nlen - 1] == ' ' || name[nlen - 1] == '\r'))
                nlen--;
            if (nlen && add_entry(p, name, nlen, self, cum) < 0)
                return -1;
        }
        line = end ? end + 1 : NULL;
    }
    return 0;
}

void importprof_free(struct prof *p)
{
    for (int i = 0; i < p->n; i++)
        free(p->v[i].module);
    free(p->v);
    memset(p, 0, sizeof *p);
}

/* Rank 0's module names, NUL-separated, to every rank. */
static char *bcast_names(MPI_Comm comm, const struct prof *mine, int *count)
{
    int rank;
    long len = 0;
    MPI_Comm_rank(comm, &rank);
    if (rank == 0) {
        for (int i = 0; i < mine->n; i++)
            len += (long)strlen(mine->v[i].module) + 1;
        *count = mine->n;
    }
    MPI_Bcast(&len, 1, MPI_LONG, 0, comm);
    MPI_Bcast(count, 1, MPI_INT, 0, comm);
    char *names = malloc((size_t)len + 1);
    if (rank == 0) {
        char *w = names;
        for (int i = 0; i < mine->n; i++)
            w = stpcpy(w, mine->v[i].module) + 1;
    }
    MPI_Bcast(names, (int)len, MPI_CHAR, 0, comm);
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

static json_object *median_max(const double *v, int n)
{
    struct stats s;
    stats_compute(v, (size_t)n, &s);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "median", json_object_new_double(s.median));
    json_object_object_add(o, "max", json_object_new_double(s.max));
    return o;
}

/* VALUES[r][2*m + 0/1]: self and cumulative of module m on rank r, -1 where
 * that rank did not import it. */
static json_object *summarize(char *names, int nmod, const double *values, int size, int top)
{
    struct ranked *order = malloc((size_t)(nmod ? nmod : 1) * sizeof *order);
    double *self = malloc((size_t)size * sizeof *self), *cum = malloc((size_t)size * sizeof *cum);
    const char **name_of = malloc((size_t)(nmod ? nmod : 1) * sizeof *name_of);
    for (int m = 0, off = 0; m < nmod; m++) {
        name_of[m] = names + off;
        off += (int)strlen(names + off) + 1;
        int k = 0;
        for (int r = 0; r < size; r++)
            if (values[(size_t)r * 2 * (size_t)nmod + 2 * (size_t)m] >= 0)
                self[k++] = values[(size_t)r * 2 * (size_t)nmod + 2 * (size_t)m];
        struct stats s;
        stats_compute(self, (size_t)k, &s);
        order[m] = (struct ranked){m, s.median};
    }
    qsort(order, (size_t)nmod, sizeof *order, by_self_desc);

    json_object *mods = json_object_new_array();
    for (int i = 0; i < nmod && i < top; i++) {
        int m = order[i].index, k = 0;
        for (int r = 0; r < size; r++) {
            const double *v = values + (size_t)r * 2 * (size_t)nmod + 2 * (size_t)m;
            if (v[0] >= 0) {
                self[k] = v[0];
                cum[k++] = v[1];
            }
        }
        json_object *o = json_object_new_object();
        json_object_object_add(o, "module", json_object_new_string(name_of[m]));
        json_object_object_add(o, "ranks", json_object_new_int(k));
        json_object_object_add(o, "self_us", median_max(self, k));
        json_object_object_add(o, "cumulative_us", median_max(cum, k));
        json_object_array_add(mods, o);
    }
    json_object *res = json_object_new_object();
    json_object_object_add(res, "ranks", json_object_new_int(size));
    json_object_object_add(res, "modules_seen", json_object_new_int(nmod));
    json_object_object_add(res, "modules", mods);
    free(order);
    free(self);
    free(cum);
    free(name_of);
    return res;
}

json_object *importprof_aggregate(MPI_Comm comm, const struct prof *mine, int top)
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
    json_object *res = rank == 0 ? summarize(names, nmod, all, size, top) : NULL;
    free(all);
    free(row);
    free(names);
    return res;
}
