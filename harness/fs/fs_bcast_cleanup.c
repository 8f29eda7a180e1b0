/* fs_bcast_cleanup.c: what a bcast run leaves on its nodes (`cleanup`,
 * --cleanup): every copy, none (after-run), or one per machine (keep-last). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/collective.h"
#include "base/nodes.h"
#include "base/remove_tree.h"
#include "fs/fs_bcast.h"

const char *const bcast_cleanup_words[] = {"never", "after-run", "keep-last", NULL};

/* NAME is a copy of the filesystem whose path ends in BASE: BASE itself
 * or a pretend node's BASE-node<k>. */
static int is_copy_name(const char *name, const char *base)
{
    size_t n = strlen(base);
    if (strncmp(name, base, n) != 0)
        return 0;
    if (name[n] == '\0')
        return 1;
    if (strncmp(name + n, "-node", 5) != 0 || !name[n + 5])
        return 0;
    return strspn(name + n + 5, "0123456789") == strlen(name + n + 5);
}

/* This machine's copies of PATH other than KEEP (NULL: all of them),
 * with those a killed run left: directories of ours only, never a link. */
static int sweep_machine(const char *path, const char *keep, int *removed, struct err *e)
{
    char *pcopy = strdup(path), *bcopy = strdup(path), *kcopy = keep ? strdup(keep) : NULL;
    const char *parent = dirname(pcopy), *base = basename(bcopy), *kept = kcopy ? basename(kcopy) : NULL;
    int dfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = 0;
    DIR *d = dfd >= 0 ? fdopendir(dup(dfd)) : NULL;
    if (!d && errno != ENOENT)
        rc = err_sys(e, EXIT_RUNTIME, "bcast cleanup: cannot list %s", parent);
    for (struct dirent *de; d && rc == 0 && (de = readdir(d));) {
        struct stat st;
        if (!is_copy_name(de->d_name, base) || (kept && strcmp(de->d_name, kept) == 0) ||
            fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode) ||
            st.st_uid != geteuid())
            continue;
        char shown[4200];
        snprintf(shown, sizeof shown, "%s/%s", parent, de->d_name);
        rc = remove_tree_at(dfd, de->d_name, shown, e);
        *removed += rc == 0;
    }
    if (d)
        closedir(d);
    if (dfd >= 0)
        close(dfd);
    free(pcopy);
    free(bcopy);
    free(kcopy);
    return rc;
}

int fs_bcast_finish(const struct fs_run *f, const char *venv, struct staging_result *st, struct err *e)
{
    int w = ((const struct bcast_opts *)f->fs->opts)->cleanup;
    if (st->done)
        bcast_figures(st)->cleanup = bcast_cleanup_words[w];
    if (w == BCAST_CLEANUP_NEVER)
        return 0;
    /* One rank per machine acts for all its (pretend) nodes, once every
     * rank is done with its copy: it also sees what a killed run left. */
    MPI_Comm machine;
    int machine_rank, removed = 0, total = 0;
    nodes_split(f->comm, 0, &machine);
    MPI_Comm_rank(machine, &machine_rank);
    MPI_Comm_free(&machine);
    coll_quiet_barrier(f->comm);
    if (machine_rank == 0)
        sweep_machine(f->fs->path, w == BCAST_CLEANUP_KEEP_LAST ? venv : NULL, &removed, e);
    MPI_Reduce(&removed, &total, 1, MPI_INT, MPI_SUM, 0, f->comm);
    if (st->done)
        bcast_figures(st)->copies_removed = total;
    if (coll_agree(f->comm, e) == 0)
        return 0;
    return err_wrap(e, "filesystem '%s': ", f->fs->name);
}
