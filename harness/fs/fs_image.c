/* fs_image.c: the kind `image`: rank 0 builds the squashfs image when the
 * venv changed, one leader per node mounts it with squashfuse (after
 * undoing a mount a killed run left), every rank imports from the mount,
 * and the leaders unmount it at the end, also of a failed run. */
#include "fs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "collective.h"
#include "dirs.h"
#include "image.h"
#include "nodes.h"
#include "spawn.h"

/* DIR is a mount point in this process's view (/proc/self/mountinfo's
 * fifth field; mount points with spaces or newlines are not ours). */
static int is_mounted(const char *dir)
{
    FILE *f = fopen("/proc/self/mountinfo", "r");
    char line[8192];
    int found = 0;
    while (f && !found && fgets(line, sizeof line, f)) {
        char *save = NULL, *tok = strtok_r(line, " ", &save);
        for (int i = 1; tok && i < 5; i++)
            tok = strtok_r(NULL, " ", &save);
        found = tok && strcmp(tok, dir) == 0;
    }
    if (f)
        fclose(f);
    return found;
}

static int unmount(const char *dir, struct err *e)
{
    char *fusermount = find_on_path("fusermount3");
    const char *tool = fusermount ? "fusermount3" : "fusermount";
    free(fusermount);
    char *argv[] = {(char *)tool, "-u", (char *)dir, NULL};
    int rc = image_tool(argv, 60, "unmounting the image", e);
    if (rc < 0 && is_mounted(dir)) {
        /* Busy (a child a killed run left): detach it now, gone when idle. */
        struct err lazy = {0};
        char *largv[] = {(char *)tool, "-u", "-z", (char *)dir, NULL};
        rc = image_tool(largv, 60, "unmounting the image", &lazy);
        if (rc == 0)
            *e = (struct err){0};
    }
    return rc;
}

static int mount_here(const char *image, const char *dir, FILE *log, double *seconds, struct err *e)
{
    double t0 = now_seconds();
    if (is_mounted(dir)) {
        if (log)
            fprintf(log, "harness: %s is still mounted (a killed run's): unmounting it first\n", dir);
        if (unmount(dir, e) < 0)
            return -1;
    }
    if (make_dirs(dir, e) < 0)
        return -1;
    char *argv[] = {"squashfuse", (char *)image, (char *)dir, NULL}, what[4200];
    snprintf(what, sizeof what, "mounting the image %s at %s", image, dir);
    if (image_tool(argv, 60, what, e) < 0)
        return -1;
    *seconds = now_seconds() - t0;
    return 0;
}

static int leader_of_node(const struct fs_run *f)
{
    MPI_Comm node;
    int local_rank;
    nodes_split(f->comm, f->o->ranks_per_node, &node);
    MPI_Comm_rank(node, &local_rank);
    MPI_Comm_free(&node);
    return local_rank == 0;
}

int fs_image_prepare(const struct fs_run *f, char **venv, struct staging_result *st, struct err *e)
{
    int rank;
    double mount_s = 0, slowest = 0;
    MPI_Comm_rank(f->comm, &rank);
    memset(st, 0, sizeof *st);
    *venv = nodes_dir(f->fs->mount, f->o->ranks_per_node, rank);
    int leader = leader_of_node(f);
    MPI_Barrier(f->comm);
    double t0 = now_seconds();
    if (rank == 0) {
        if (f->log)
            fprintf(f->log, "harness: the image %s of %s\n", f->fs->path, f->m->venv);
        image_build(f->m->venv, f->fs->path, st, e);
    }
    if (coll_agree(f->comm, e) < 0)
        return err_wrap(e, "filesystem '%s': ", f->fs->name);
    if (leader)
        mount_here(f->fs->path, *venv, f->log, &mount_s, e);
    MPI_Reduce(&mount_s, &slowest, 1, MPI_DOUBLE, MPI_MAX, 0, f->comm);
    coll_quiet_barrier(f->comm);
    int nodes = count_nodes(f->comm, f->o->ranks_per_node);
    if (coll_agree(f->comm, e) < 0)
        return err_wrap(e, "filesystem '%s': ", f->fs->name);
    if (rank == 0) {
        st->done = 1;
        st->kind = fs_kind_name(FS_IMAGE);
        st->seconds = now_seconds() - t0;
        st->mount_s = slowest;
        st->leaders = nodes;   /* mounts */
    }
    return 0;
}

int fs_image_finish(const struct fs_run *f, const char *venv, struct staging_result *st, struct err *e)
{
    (void)st;
    coll_quiet_barrier(f->comm);
    if (leader_of_node(f) && is_mounted(venv))
        unmount(venv, e);
    if (coll_agree(f->comm, e) == 0)
        return 0;
    return err_wrap(e, "filesystem '%s': ", f->fs->name);
}

char *fs_pycache_prefix(const struct fs_conf *fs, const char *venv)
{
    if (fs->kind != FS_IMAGE)
        return NULL;
    size_t n = strlen(venv) + 16;
    char *dir = malloc(n);
    snprintf(dir, n, "%s-pycache", venv);
    return dir;
}
