/* err.h: the error context that fallible calls fill in and carry upwards,
 * and the exit statuses that scripts and cron wrappers rely on. */
#ifndef ERR_H
#define ERR_H

#include <stddef.h>

/* Exit statuses; documented in the usage text and the README. */
enum exit_status {
    EXIT_ALL_OK = 0,     /* every rank's child succeeded */
    EXIT_RANKS_FAILED = 1, /* the run completed, some child failed or timed out */
    EXIT_USAGE = 2,      /* bad command line or configuration */
    EXIT_SETUP = 3,      /* the environment to measure is not what it should be */
    EXIT_RUNTIME = 4,    /* a system call, MPI or staging failed */
    EXIT_DATABASE = 5,   /* the database could not be used and nothing was spooled */
};

struct err {
    int status;          /* one of enum exit_status; 0 while no error */
    char msg[2048];
};

/* Records the first error only: the innermost call knows the most precise
 * cause, callers add context with err_wrap. Always returns -1. */
int err_set(struct err *e, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Like err_set, with ": strerror(errno)" appended. */
int err_sys(struct err *e, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prefixes context ("staging /x: ") to an error already set. Returns -1. */
int err_wrap(struct err *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
