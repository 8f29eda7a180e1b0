/* fs_image.c: the kind `image`: rank 0 builds the squashfs image when the
 * venv changed, one leader per node mounts it with squashfuse (after
 * undoing a mount a killed run left), every rank imports from the mount,
 * and the leaders unmount it at the end, also of a failed run. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/collective.h"
#include "fs/fs_image.h"
#include "base/nodes.h"
#include "../staging/stage.h"

extern const struct fs_kind fs_kind_image;

static const char *const mounters[] = {"squashfuse", "loop", NULL};

static char *pycache_prefix(const struct fs_conf *fs, const char *venv);

/* The children's bytecode directory (PYTHONPYCACHEPREFIX): ours alone,
 * or a neighbour's bytecode planted there would run as us. */
static int own_pycache(const struct fs_conf *fs, const char *venv, struct err *e)
{
    char *dir = pycache_prefix(fs, venv);
    int fd = stage_trusted_dir(dir, e);
    free(dir);
    if (fd < 0)
        return err_wrap(e, "the image's bytecode directory: ");
    close(fd);
    return 0;
}

static const struct image_opts *opts_of(const struct fs_conf *fs)
{
    return fs->opts;
}

static int mount_here(const struct fs_run *f, const char *dir, double *seconds, struct err *e)
{
    if (image_mount(f->fs->path, dir, opts_of(f->fs)->mount_with, &f->hold->point, seconds, e) < 0)
        return -1;
    return own_pycache(f->fs, dir, e);
}

static int stage(const struct fs_run *f, struct staging_result *st, struct err *e);

/* Held for the whole run, before anything is mounted or built: a second
 * run waits, and what this image left mounted here is a killed run's. */
static int hold_mounts(const struct fs_run *f, struct err *e)
{
    const char *mount = opts_of(f->fs)->mount;
    if (fs_hold_place(f, mount, e) < 0)
        return -1;
    if (fs_machine_first(f))
        image_sweep(f->fs->path, mount, f->log, e);
    return coll_agree(f->comm, e);
}

static int prepare(const struct fs_run *f, char **venv, struct staging_result *st, struct err *e)
{
    int rank;
    double mount_s = 0, slowest = 0;
    MPI_Comm_rank(f->comm, &rank);
    *venv = nodes_dir(opts_of(f->fs)->mount, f->ranks_per_node, rank);
    int leader = fs_node_leader(f);
    if (hold_mounts(f, e) < 0)
        return err_wrap(e, "filesystem '%s': ", f->fs->name);
    MPI_Barrier(f->comm);
    double t0 = now_seconds();
    stage(f, st, e);
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
    int nodes = count_nodes(f->comm, f->ranks_per_node);
    if (coll_agree(f->comm, e) < 0)
        return err_wrap(e, "filesystem '%s': ", f->fs->name);
    if (rank == 0) {
        st->seconds = now_seconds() - t0;
        image_figures(st)->mount_s = slowest;
        image_figures(st)->mount_with = mounters[opts_of(f->fs)->mount_with];
        st->leaders = nodes;   /* mounts */
    }
    return 0;
}

/* Only what this run mounted, and only while it is still this image's. */
static int finish(const struct fs_run *f, const char *venv, struct staging_result *st, struct err *e)
{
    (void)st;
    (void)venv;
    coll_quiet_barrier(f->comm);
    if (f->hold->point)
        image_unmount(f->hold->point, f->fs->path, e);
    int rc = coll_agree(f->comm, e);
    fs_release(f);
    return rc == 0 ? 0 : err_wrap(e, "filesystem '%s': ", f->fs->name);
}

/* A read-only image cannot take bytecode: the children keep it beside
 * the mount, in node-local memory when the mount point is. */
static char *pycache_prefix(const struct fs_conf *fs, const char *venv)
{
    (void)fs;
    size_t n = strlen(venv) + 16;
    char *dir = malloc(n);
    snprintf(dir, n, "%s-pycache", venv);
    return dir;
}

/* Rank 0 (or the one process) builds the image of the venv unless it is
 * up to date: --stage-only, and the run's first step. */
static int stage(const struct fs_run *f, struct staging_result *st, struct err *e)
{
    MPI_Comm comm = f->comm;
    const struct fs_conf *fs = f->fs;
    const char *venv = f->source;
    FILE *log = f->log;
    int rank = 0;
    if (comm != MPI_COMM_NULL)
        MPI_Comm_rank(comm, &rank);
    memset(st, 0, sizeof *st);
    if (rank == 0) {
        if (log)
            fprintf(log, "harness: the image %s of %s\n", fs->path, venv);
        if (image_build(venv, fs->path, fs->lock_timeout, log, image_figures(st), e) == 0) {
            st->done = 1;
            st->kind = &fs_kind_image;
            st->seconds = image_figures(st)->build_s;
        }
    }
    return e->status ? -1 : 0;
}

/* An image copies no entries: its own lines say what it did. */
static void render_text(const struct staging_result *st, FILE *out)
{
    const struct image_figures *g = image_figures((struct staging_result *)st);
    fprintf(out, "  staging       %s, %d mount%s; %.3f s\n", st->kind->name, st->leaders, st->leaders == 1 ? "" : "s",
            st->seconds);
    fprintf(out, "  image         %lld bytes, %s %.3f s; mounted in %.3f s (slowest node, %s)\n", g->bytes,
            g->built ? "built in" : "up to date, checked in", g->build_s, g->mount_s,
            g->mount_with ? g->mount_with : "not mounted");
}

static json_object *render_json(const struct staging_result *st)
{
    const struct image_figures *g = image_figures((struct staging_result *)st);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "bytes", json_object_new_int64(g->bytes));
    json_object_object_add(o, "built", json_object_new_boolean(g->built));
    json_object_object_add(o, "build_s", json_object_new_double(g->build_s));
    json_object_object_add(o, "mount_s", json_object_new_double(g->mount_s));
    json_object_object_add(o, "mount_with", g->mount_with ? json_object_new_string(g->mount_with) : NULL);
    return o;
}

static const struct opt_spec options[] = {
    {.key = "mount", .type = OPT_PLACE, .offset = offsetof(struct image_opts, mount), .required = 1,
     .what = "the node-local mount point"},
    {.key = "mount_with", .type = OPT_WORD, .offset = offsetof(struct image_opts, mount_with),
     .dflt = IMAGE_MOUNT_SQUASHFUSE, .words = mounters},
    {0},
};

const struct fs_kind fs_kind_image = {
    .name = "image",
    .how = "a squashfs image mounted on each node",
    .path_required = 1,
    .missing_hint = "the image %s did not mount it: see the run's messages",
    .options = options,
    .opts_size = sizeof(struct image_opts),
    .render_text = render_text,
    .render_json = render_json,
    /* The bytecode of a read-only image goes to node-local memory: each
     * node's leader warms it, as a bcast node warms its copy. */
    .ops = {.prepare = prepare, .warm = fs_warm_each_node, .finish = finish, .stage = stage,
            .pycache_prefix = pycache_prefix},
};
