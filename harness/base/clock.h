/* clock.h: the harness's one monotonic clock (every timed span) and its
 * one wall-clock stamp format (UTC, ISO 8601, in results and spool files). */
#ifndef CLOCK_H
#define CLOCK_H

#include <stddef.h>

/* Seconds on CLOCK_MONOTONIC: differences only, never a date. */
double now_seconds(void);
/* The current UTC time as "YYYY-MM-DDTHH:MM:SSZ" into BUF (32 bytes do). */
/* CLOCK_REALTIME in seconds: only for comparing with a stamp taken
 * outside this process (--launch-start, `date +%s.%N`). */
double wall_seconds(void);
void utc_now_iso(char *buf, size_t n);

#endif
