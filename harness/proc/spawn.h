/* spawn.h: starting one child with posix_spawn and timing it to waitpid,
 * with a timeout that kills it; its stderr (and stdout) captured in memory. */
#ifndef SPAWN_H
#define SPAWN_H

#include <spawn.h>
#include <stddef.h>
#include <time.h>

#include "base/err.h"
#include "proc/errtail.h"
#include "proc/reap.h"

enum child_status {
    CHILD_OK = 0,        /* exited 0 */
    CHILD_FAILED = 1,    /* exited non-zero or died of a signal */
    CHILD_TIMEOUT = 2,   /* still running at the timeout: killed */
    CHILD_NOSPAWN = 3,   /* posix_spawn itself failed */
};

struct child_result {
    enum child_status status;
    int exit_code;       /* exit status, or 128 + signal number */
    double seconds;      /* from spawn_run's start to waitpid's return */
    int signal;          /* the signal that ended it; 0: it exited */
    int leftover;        /* its descendants still running after it ended: killed */
    /* Set by phase_run: CLOCK_REALTIME on leaving the phase's first and
     * second barriers, to compare with a stamp taken before the launch. */
    double wall_start, wall_end;
};

/* Everything that can be prepared before the clock starts, so that the
 * timed region holds only posix_spawn, the wait and waitpid. */
struct spawn_job {
    char *const *argv;
    char *const *envp;
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    int out_fd;          /* memfd holding the child's stdout, or -1 */
    struct errtail err;  /* the tail of the child's stderr, bounded */
    int null_fd;         /* /dev/null, opened once: dup2 in the child is cheaper than open */
    timer_t timer;       /* interrupts waitpid at the timeout; signals this thread only */
    int has_timer;
    struct reap_set keep; /* children that were there before: not leftovers */
};

/* The child's stderr keeps at most this much: its tail holds the traceback. */
#define SPAWN_ERR_KEEP 65536
int spawn_prepare(struct spawn_job *job, char *const *argv, char *const *envp, int capture_stdout,
                  struct err *e);
/* Like spawn_prepare, keeping the last KEEP bytes of stderr. */
int spawn_prepare_keep(struct spawn_job *job, char *const *argv, char *const *envp, int capture_stdout,
                       size_t keep, struct err *e);
/* Spawns, waits up to TIMEOUT seconds (<= 0: no limit), kills the child's
 * process group at the timeout, then kills and reaps whatever it left
 * behind (RES->leftover counts them). Returns -1 only for harness faults;
 * a child that cannot be started is CHILD_NOSPAWN with the reason in E. */
int spawn_run(struct spawn_job *job, double timeout, struct child_result *res, struct err *e);
/* spawn_run without the clean-up, for the timed region: the caller calls
 * reap_descendants (reap.h) once the clock has stopped. */
int spawn_run_timed(struct spawn_job *job, double timeout, struct child_result *res, struct err *e);
/* The last MAX bytes the child wrote to FD (its captured stdout),
 * NUL-terminated, in a new buffer, made valid UTF-8 (bad bytes become
 * U+FFFD, never a cut character; still at most MAX bytes). */
char *spawn_captured(int fd, size_t max);
/* The last MAX bytes (at most the KEEP prepared) of the child's stderr. */
char *spawn_stderr(struct spawn_job *job, size_t max);
/* spawn_stderr as one line for a message: newlines made spaces, the
 * trailing ones dropped. */
char *spawn_stderr_line(struct spawn_job *job, size_t max);
/* Empties the captures so the job can run again. */
void spawn_reset(struct spawn_job *job);
void spawn_release(struct spawn_job *job);


#endif
