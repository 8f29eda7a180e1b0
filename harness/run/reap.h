/* reap.h: the descendants a child leaves behind (a daemon it started, a
 * grandchild that called setsid) are killed when its phase ends. */
#ifndef REAP_H
#define REAP_H

/* Makes this process the reaper of its descendants' orphans (Linux
 * PR_SET_CHILD_SUBREAPER). Returns 0, or -1 with errno. */
int reap_become_subreaper(void);
/* Kills and reaps every child this process still has once the timed child
 * itself has been reaped: the harness starts one child at a time, so any
 * other is that child's leftover. Returns how many were killed (0 costs
 * one waitpid). */
int reap_descendants(void);

#endif
