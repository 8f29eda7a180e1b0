/* counters.h: named integer counters as a probe prints them (a metadata
 * server's or a client's), parsed from text, differenced and summed by name. */
#ifndef BASE_COUNTERS_H
#define BASE_COUNTERS_H

#include <stddef.h>
#include <stdint.h>

/* Fixed sizes, so that a set of counters travels in one MPI message. */
#define COUNTERS_MAX 64
#define COUNTER_NAME_MAX 64

struct counter {
    char name[COUNTER_NAME_MAX];
    int64_t value;
    int32_t reset;       /* went backwards between two readings: not a difference */
    int32_t spare;
};

struct counters {
    int32_t n;
    int32_t dropped;     /* names past COUNTERS_MAX or longer than COUNTER_NAME_MAX - 1: not kept */
    struct counter c[COUNTERS_MAX];
};

/* Adds V to counter NAME (LEN bytes), appending it when new; a name that
 * does not fit is counted in S->dropped. Sums saturate at INT64_MAX. */
void counters_add(struct counters *s, const char *name, size_t len, int64_t v);
/* NAME's entry in S, or NULL. */
const struct counter *counters_find(const struct counters *s, const char *name);
/* ACC += AFTER - BEFORE, by name (a name BEFORE lacks counts from 0). A
 * counter that went backwards is marked reset in ACC, its value untouched. */
void counters_add_delta(struct counters *acc, const struct counters *before, const struct counters *after);
/* ACC += ADD, by name, resets and drops carried over. */
void counters_merge(struct counters *acc, const struct counters *add);
/* The sum of S's counters that are not marked reset (saturating). */
int64_t counters_total(const struct counters *s);

/* counters_parse.c: TEXT as one counter a line, `NAME: VALUE`, `NAME=VALUE`
 * or `NAME VALUE` (Lustre's md_stats `NAME N samples [reqs]`: the first
 * integer after the name); other lines are ignored. A name seen twice is
 * summed (one Lustre line per MDT). ONLY (NONLY names), when given, keeps
 * only those names. OUT is emptied first. */
void counters_parse(const char *text, const char *const *only, int nonly, struct counters *out);
/* 1 if NAME is a name counters_parse can read and keep: for the config's
 * list of counters, refused when it could never match. */
int counters_valid_name(const char *name);

#endif
