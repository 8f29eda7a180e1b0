/* fs_hold.c: a run's hold on the places it makes (copies, mount points):
 * a lock beside them from prepare to finish, and how they are found. */
#include "fs/fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/collective.h"
#include "base/nodes.h"
#include "../staging/stage.h"

int fs_machine_first(const struct fs_run *f)
{
    /* The real machine, not a pretend node: its places are all here. */
    return nodes_local_rank(f->comm, 0) == 0;
}

int fs_place_open(const char *place, struct fs_place *p, struct err *e)
{
    char *path = strdup(place);
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/')
        path[--n] = '\0';
    char *slash = strrchr(path, '/');
    *p = (struct fs_place){.dfd = -1};
    if (!slash || !slash[1] || strcmp(slash + 1, ".") == 0 || strcmp(slash + 1, "..") == 0) {
        err_set(e, EXIT_USAGE, "%s does not name a directory of its own", place);
        free(path);
        return -1;
    }
    p->base = strdup(slash + 1);
    if (slash == path)
        slash[1] = '\0';   /* the parent is / */
    else
        *slash = '\0';
    p->parent = path;
    /* Opened as a stage opens its target: never through another user's
     * link or directory, so what we find there is ours to judge. */
    p->dfd = stage_trusted_parent(path, place, e);
    if (p->dfd < 0) {
        fs_place_close(p);
        return -1;
    }
    return 0;
}

void fs_place_close(struct fs_place *p)
{
    if (p->dfd >= 0)
        close(p->dfd);
    free(p->parent);
    free(p->base);
    *p = (struct fs_place){.dfd = -1};
}

char *fs_fd_path(int fd)
{
    char proc[64], path[PATH_MAX];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(proc, path, sizeof path - 1);
    if (n <= 0)
        return NULL;
    path[n] = '\0';
    return strdup(path);
}

void fs_sweep_prefixed(int dfd, const char *prefix)
{
    DIR *d = fdopendir(dup(dfd));
    struct dirent *de;
    while (d && (de = readdir(d)))
        if (strncmp(de->d_name, prefix, strlen(prefix)) == 0)
            unlinkat(dfd, de->d_name, 0);
    if (d)
        closedir(d);
}

int fs_is_node_name(const char *name, const char *base)
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

/* PLACE.lock beside PLACE, ours alone, waited for like a stage's lock. */
static int take(const struct fs_run *f, const char *place, struct err *e)
{
    struct fs_place p;
    char name[NAME_MAX + 8], shown[PATH_MAX + 16], what[PATH_MAX + 128];
    double waited;
    if (fs_place_open(place, &p, e) < 0)
        return -1;
    snprintf(name, sizeof name, "%s.lock", p.base);
    snprintf(shown, sizeof shown, "%s%s%s", p.parent, strcmp(p.parent, "/") ? "/" : "", name);
    snprintf(what, sizeof what, "another run of filesystem '%s' is using %s on this machine", f->fs->name, place);
    struct lock_wait w = {.shown = shown, .what = what, .timeout = f->fs->lock_timeout, .log = f->log};
    int fd = stage_lock_open(p.dfd, name, shown, e);
    fs_place_close(&p);
    if (fd >= 0 && stage_lock_wait(fd, &w, &waited, e) < 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

int fs_hold_place(const struct fs_run *f, const char *place, struct err *e)
{
    *f->hold = (struct fs_hold){.lock_fd = -1};
    if (fs_machine_first(f))
        f->hold->lock_fd = take(f, place, e);
    /* The others sleep meanwhile: the wait may be long. */
    coll_quiet_barrier(f->comm);
    return coll_agree(f->comm, e);
}

void fs_release(const struct fs_run *f)
{
    /* Only once every rank is done: a run waiting for the lock takes
     * whatever it finds then for a killed run's. */
    coll_quiet_barrier(f->comm);
    if (f->hold->lock_fd >= 0)
        close(f->hold->lock_fd);
    free(f->hold->point);
    free(f->hold->image);
    *f->hold = (struct fs_hold){.lock_fd = -1};
}
