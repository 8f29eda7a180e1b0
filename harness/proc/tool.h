/* tool.h: another program run as the harness's tool (mksquashfs,
 * squashfuse, fusermount, gnuplot, strace): found on PATH, failing in one line. */
#ifndef PROC_TOOL_H
#define PROC_TOOL_H

#include "base/err.h"

/* Looks NAME up on PATH like execvp would; returns a new string or NULL. */
char *find_on_path(const char *name);
/* The Debian package that installs TOOL (TOOL itself when unknown). */
const char *tool_package(const char *tool);
/* Runs ARGV (no shell), at most TIMEOUT seconds; a failure is EXIT_SETUP
 * naming WHAT, the tool and the tail of its stderr. DAEMON: the tool
 * leaves a daemon behind on purpose, which is not killed. */
int tool_run(char *const *argv, double timeout, const char *what, int daemon, struct err *e);

#endif
