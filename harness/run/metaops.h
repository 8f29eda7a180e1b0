/* metaops.h: counting the file metadata system calls of one import with
 * strace, per call name, with how many failed with ENOENT. */
#ifndef METAOPS_H
#define METAOPS_H

#include <stdio.h>

#include "base/err.h"
#include "result/result.h"   /* struct metaops */

/* The calls counted: open/openat, the stat family, access, readlink, getdents. */
extern const char *const metaops_traced[];

/* Runs ARGV (envp ENVP) under `strace -f` and fills M. Never fails the run:
 * without strace, or where ptrace is refused, M says why it is unavailable.
 * strace waits for every traced descendant: TIMEOUT bounds it, and what
 * is left is killed. Returns how many processes were left. */
int metaops_count(char *const *argv, char *const *envp, double timeout, struct metaops *m);
/* Counts the calls in one strace -f output stream (exposed for the tests). */
void metaops_parse(FILE *trace, struct metaops *m);

#endif
