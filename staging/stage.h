/* stage.h: the stager's interface: mirror a virtualenv into a target
 * directory like `rsync -a --exclude '*.pyc'`, relocated, with statistics. */
#ifndef STAGE_H
#define STAGE_H

#include <stdio.h>

#include "base/err.h"

/* Files the stager keeps in the target's top directory: never staged from
 * the source, never deleted by --delete. */
#define STAGE_LOCK_NAME ".mpi4py-import-stage.lock"
#define STAGE_MANIFEST_NAME ".mpi4py-import-stage.manifest"
/* Says the tree is the stager's own: written when it creates the target,
 * required (owned by the stager's user, writable by it alone) before it
 * writes into or deletes from an existing one. */
#define STAGE_MARKER_NAME ".mpi4py-import-stage.marker"
/* Temporary files start with this; a rerun after a crash removes them. */
#define STAGE_TMP_PREFIX ".~stage-"

struct stage_opts {
    const char *source;      /* the virtualenv to copy */
    const char *target;      /* where it goes, absolute; created with its parents
                              * (see stage_open_target for what is refused) */
    int delete_extra;        /* remove what the source no longer has */
    FILE *progress;          /* files and bytes done, on a terminal; NULL: none */
    FILE *log;               /* one line when waiting for another stage; NULL: none */
    double lock_timeout;     /* seconds to wait for another stage's lock */
};

/* Every entry below the source's top directory (not *.pyc) is counted
 * once in ENTRIES and once in one of UP_TO_DATE (no data written; its
 * mode or mtime may have been set), COPIED (created or rewritten whole),
 * DELTA_UPDATED (rebuilt with librsync from the target's old copy) or
 * SKIPPED (devices, fifos, sockets: not staged). */
struct stage_stats {
    long long entries, up_to_date, copied, delta_updated, skipped, deleted;
    long long literal_bytes;  /* bytes taken from the source */
    long long matched_bytes;  /* bytes reused from the target's old copies */
    double seconds;           /* the whole stage, waiting for the lock included */
    double lock_wait_seconds;
    int waited_for_lock;
};

/* Stages OPTS->source into OPTS->target. On failure E names the path (the
 * status is EXIT_SETUP for a missing or unusable source, EXIT_RUNTIME
 * otherwise) and no temporary file is left behind. */
int stage_tree(const struct stage_opts *opts, struct stage_stats *st, struct err *e);

/* PATH (a relative one from the current directory) as a directory of
 * ours, opened (its fd returned) as a stage opens its target: missing
 * components created, another user's symlink or directory refused (exit
 * 3); no marker. For places the run itself writes or mounts on (an image,
 * its mount point, its bytecode, a report's or the spool's directory). */
int stage_trusted_dir(const char *path, struct err *e);
/* The same for PATH, the directory that holds the place PLACE (named
 * in messages as the target): judged as a target's ancestor (root's or
 * ours, writable by no one else unless sticky, as /tmp and /dev/shm
 * are), not as a target. */
int stage_trusted_parent(const char *path, const char *place, struct err *e);

/* The directory FD carries the stager's marker, as only its user can
 * have written it: 1, else 0. What a cleanup asks before it removes a
 * copy: a directory without it is not one the stager made. */
int stage_is_marked(int fd);
/* The marker written into the directory FD (a new one of ours, not yet
 * filled, O_EXCL): 0, or -1 with errno (EEXIST: marked already). */
int stage_mark(int fd);

/* stage_lock.c: NAME in the directory DFD as a lock file of ours (SHOWN:
 * its path, for messages), made 0600 if missing; another user's file, a
 * link or anything but a regular file is refused (exit 3), so that no
 * other user can open it to hold the lock. Its fd, or -1 with E. */
int stage_lock_open(int dfd, const char *name, const char *shown, struct err *e);
/* Waiting for another holder's flock: one LOG line (if any) "WHAT:
 * waiting for its lock SHOWN (held by pid N) for up to TIMEOUT s"; after
 * TIMEOUT seconds one error naming the holder (exit 4). */
struct lock_wait {
    const char *shown, *what;
    double timeout;
    FILE *log;
};
/* FD's exclusive flock, held until FD is closed; *WAITED the seconds
 * waited for it, -1 when it was free. */
int stage_lock_wait(int fd, const struct lock_wait *w, double *waited, struct err *e);

#endif
