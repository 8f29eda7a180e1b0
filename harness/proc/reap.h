/* reap.h: the descendants a child leaves behind (a daemon it started, a
 * grandchild that called setsid) are killed when its phase ends. */
#ifndef REAP_H
#define REAP_H

/* Makes this process the reaper of its descendants' orphans (Linux
 * PR_SET_CHILD_SUBREAPER). Returns 0, or -1 with errno. */
int reap_become_subreaper(void);
/* ON 0: orphans go past this process again (to a daemon's rightful
 * reaper), 1: back to it. Returns 0, or -1 with errno. */
int reap_set_subreaper(int on);
#include <sys/types.h>

/* Children of this process. */
struct reap_set {
    pid_t *v;
    size_t n, cap;
};

/* The children this process has before it starts one of its own (the MPI
 * runtime's, as a singleton starts one): never taken for leftovers. */
void reap_snapshot(struct reap_set *keep);
void reap_set_free(struct reap_set *s);
/* Kills and reaps every child this process has, but those in KEEP, once
 * the timed child itself has been reaped: the harness starts one child at
 * a time, so any other is that child's leftover (or an orphan of it).
 * Returns how many were still running and killed; with no child at all
 * it costs one waitid. */
int reap_descendants(const struct reap_set *keep);

#endif
