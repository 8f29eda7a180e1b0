/* fs_bcast_cleanup.c: what a bcast run leaves on its nodes (`cleanup`,
 * --cleanup): every copy, none (after-run), or one per machine (keep-last). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/collective.h"
#include "base/remove_tree.h"
#include "fs/fs_bcast.h"
#include "../staging/stage.h"

const char *const bcast_cleanup_words[] = {"never", "after-run", "keep-last", NULL};

/* NAME's lock file in the directory DFD taken without waiting: its fd
 * (held until closed), -2 when there is none, -1 when held or unusable. */
static int lock_if_free(int dfd, const char *name)
{
    int fd = openat(dfd, name, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? -2 : -1;
    if (flock(fd, LOCK_EX | LOCK_NB) == 0)
        return fd;
    close(fd);
    return -1;
}

/* NAME (a copy's name) in the directory DFD is a copy no one is using
 * that this user's stager made: a directory, not a link, ours and only
 * ours to write, marked, no stage in it and no run of its own (NAME.lock)
 * holding it. *LOCK: its stage lock, held while it is removed. */
static int dead_copy_of_ours(int dfd, const char *name, int own_run, int *lock)
{
    struct stat st;
    char run_lock[NAME_MAX + 8];
    *lock = -2;
    int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return 0;
    int ours = fstat(fd, &st) == 0 && st.st_uid == geteuid() && !(st.st_mode & (S_IWGRP | S_IWOTH)) &&
               stage_is_marked(fd) && (*lock = lock_if_free(fd, STAGE_LOCK_NAME)) != -1;
    close(fd);
    snprintf(run_lock, sizeof run_lock, "%s.lock", name);
    int other = -2;
    /* Another path's copies may be named like ours (PATH-node7 as a path
     * of its own): its run holds its own lock. */
    if (ours && !own_run && (other = lock_if_free(dfd, run_lock)) == -1)
        ours = 0;
    if (other >= 0)
        close(other);
    if (!ours && *lock >= 0) {
        close(*lock);
        *lock = -2;
    }
    return ours;
}

/* This machine's copies of PATH other than KEEP (NULL: all of them),
 * with those a killed run left: only what dead_copy_of_ours proves. */
static int sweep_machine(const char *path, const char *keep, int *removed, struct err *e)
{
    struct fs_place p;
    char *kcopy = keep ? strdup(keep) : NULL, shown[PATH_MAX + NAME_MAX + 2];
    const char *kept = kcopy ? basename(kcopy) : NULL;
    int rc = fs_place_open(path, &p, e) < 0 ? err_wrap(e, "bcast cleanup: ") : 0;
    int dup_fd = rc == 0 ? dup(p.dfd) : -1;
    DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
    if (rc == 0 && !d)
        rc = err_sys(e, EXIT_RUNTIME, "bcast cleanup: cannot list %s", p.parent);
    for (struct dirent *de; d && rc == 0 && (de = readdir(d));) {
        int lock;
        if (!fs_is_node_name(de->d_name, p.base) || (kept && strcmp(de->d_name, kept) == 0) ||
            !dead_copy_of_ours(p.dfd, de->d_name, strcmp(de->d_name, p.base) == 0, &lock))
            continue;
        snprintf(shown, sizeof shown, "%s/%s", p.parent, de->d_name);
        rc = remove_tree_at(p.dfd, de->d_name, shown, e);
        *removed += rc == 0;
        if (lock >= 0)
            close(lock);
    }
    if (d)
        closedir(d);
    fs_place_close(&p);
    free(kcopy);
    return rc;
}

int fs_bcast_finish(const struct fs_run *f, const char *venv, struct staging_result *st, struct err *e)
{
    int w = ((const struct bcast_opts *)f->fs->opts)->cleanup;
    if (st->done)
        bcast_figures(st)->cleanup = bcast_cleanup_words[w];
    /* Nothing of a run whose prepare refused a copy, or waited in vain
     * for another run's lock: what is there is not this run's. */
    if (w == BCAST_CLEANUP_NEVER || !f->hold->accepted) {
        fs_release(f);
        return 0;
    }
    /* One rank per machine acts for all its (pretend) nodes, once every
     * rank is done with its copy: it also sees what a killed run left. */
    int removed = 0, total = 0, first = fs_machine_first(f);
    coll_quiet_barrier(f->comm);
    if (first)
        sweep_machine(f->fs->path, w == BCAST_CLEANUP_KEEP_LAST ? venv : NULL, &removed, e);
    MPI_Reduce(&removed, &total, 1, MPI_INT, MPI_SUM, 0, f->comm);
    if (st->done)
        bcast_figures(st)->copies_removed = total;
    int rc = coll_agree(f->comm, e);
    fs_release(f);
    return rc == 0 ? 0 : err_wrap(e, "filesystem '%s': ", f->fs->name);
}
