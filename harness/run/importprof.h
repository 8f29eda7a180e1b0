/* importprof.h: the per-module import profile (--profile-imports): every
 * rank's `python -X importtime` output, aggregated per module on rank 0. */
#ifndef IMPORTPROF_H
#define IMPORTPROF_H

#include <mpi.h>

#include "base/err.h"
#include "result/result.h"

#define IMPORTPROF_TOP PROFILE_TOP

struct prof_entry {
    char *module;
    double self_us, cumulative_us;
};

struct prof {
    struct prof_entry *v;
    int n, cap;
};

/* Parses `-X importtime` lines ("import time: SELF | CUM | [indent]name")
 * from TEXT; other lines (a traceback, warnings) are skipped. A module
 * imported twice (it cannot be, but subinterpreters could) adds up. */
int importprof_parse(const char *text, struct prof *p);
void importprof_free(struct prof *p);

/* importprof_gather.c. Collective: rank 0's module list is broadcast,
 * every rank gathers its times in that order, and rank 0 fills OUT with
 * the TOP (at most PROFILE_TOP) costliest modules by median self time. */
void importprof_aggregate(MPI_Comm comm, const struct prof *mine, int top, struct import_profile *out);

#endif
