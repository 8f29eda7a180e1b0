/* fs_image.c: the kind `image`: rank 0 builds the squashfs image when the
 * venv changed, one leader per node mounts it with squashfuse (after
 * undoing a mount a killed run left), every rank imports from the mount,
 * and the leaders unmount it at the end, also of a failed run. */
#include "fs/fs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/collective.h"
#include "fs/fs_image.h"
#include "base/nodes.h"
#include "../staging/stage.h"

/* The children's bytecode directory (PYTHONPYCACHEPREFIX): ours alone,
 * or a neighbour's bytecode planted there would run as us. */
static int own_pycache(const struct fs_conf *fs, const char *venv, struct err *e)
{
    char *dir = fs_pycache_prefix(fs, venv);
    int fd = stage_trusted_dir(dir, e);
    free(dir);
    if (fd < 0)
        return err_wrap(e, "the image's bytecode directory: ");
    close(fd);
    return 0;
}

static int mount_here(const struct fs_run *f, const char *dir, double *seconds, struct err *e)
{
    if (image_mount(f->fs->path, dir, f->fs->mount_with, f->log, seconds, e) < 0)
        return -1;
    return own_pycache(f->fs, dir, e);
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
    *venv = nodes_dir(f->fs->mount, f->o->ranks_per_node, rank);
    int leader = leader_of_node(f);
    MPI_Barrier(f->comm);
    double t0 = now_seconds();
    fs_image_stage(f->comm, f->fs, f->m->venv, f->log, st, e);
    /* The other ranks sleep while rank 0 walks the venv: spinning in
     * MPI, they would take the cores its walk and the filesystem's
     * client need (up to 5x slower on the virtual cluster). */
    coll_quiet_barrier(f->comm);
    if (coll_agree(f->comm, e) < 0)
        return err_wrap(e, "filesystem '%s': ", f->fs->name);
    if (leader)
        mount_here(f, *venv, &mount_s, e);
    MPI_Reduce(&mount_s, &slowest, 1, MPI_DOUBLE, MPI_MAX, 0, f->comm);
    coll_quiet_barrier(f->comm);
    int nodes = count_nodes(f->comm, f->o->ranks_per_node);
    if (coll_agree(f->comm, e) < 0)
        return err_wrap(e, "filesystem '%s': ", f->fs->name);
    if (rank == 0) {
        st->seconds = now_seconds() - t0;
        st->mount_s = slowest;
        st->mount_with = fs_mounter_name(f->fs->mount_with);
        st->leaders = nodes;   /* mounts */
    }
    return 0;
}

int fs_image_finish(const struct fs_run *f, const char *venv, struct staging_result *st, struct err *e)
{
    (void)st;
    coll_quiet_barrier(f->comm);
    if (leader_of_node(f))
        image_unmount(venv, e);
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

int fs_image_stage(MPI_Comm comm, const struct fs_conf *fs, const char *venv, FILE *log, struct staging_result *st,
                   struct err *e)
{
    int rank = 0;
    if (comm != MPI_COMM_NULL)
        MPI_Comm_rank(comm, &rank);
    memset(st, 0, sizeof *st);
    if (rank == 0) {
        if (log)
            fprintf(log, "harness: the image %s of %s\n", fs->path, venv);
        if (image_build(venv, fs->path, st, e) == 0) {
            st->done = 1;
            st->kind = fs_kind_name(FS_IMAGE);
            st->seconds = st->build_s;
        }
    }
    return e->status ? -1 : 0;
}
