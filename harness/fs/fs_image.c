/* fs_image.c: the kind `image`: rank 0 checks (stamp or walk) and builds the
 * squashfs image, each node's leader mounts it (from the shared filesystem,
 * or its own copy broadcast by rank 0), every rank imports from the mount,
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
static const char *const deliveries[] = {"shared", "bcast", NULL};
static const char *const bytecodes[] = {"node", "image", NULL};

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
    if (image_mount(f->hold->image, dir, opts_of(f->fs)->mount_with, &f->hold->point, seconds, e) < 0)
        return -1;
    if (opts_of(f->fs)->bytecode == IMAGE_BYTECODE_IMAGE)
        return 0;
    return own_pycache(f->fs, dir, e);
}

static int check_image(const struct fs_run *f, struct staging_result *st, int prep, struct image_io *io,
                       struct err *e);

/* Held for the whole run, before anything is mounted or built: a second
 * run waits, and what this image (or a node's copy of it) left mounted
 * here is a killed run's. */
static int hold_mounts(const struct fs_run *f, struct err *e)
{
    const char *mount = opts_of(f->fs)->mount;
    if (fs_hold_place(f, mount, e) < 0)
        return -1;
    if (fs_machine_first(f) && image_sweep(f->fs->path, mount, f->log, e) == 0)
        image_sweep(NULL, mount, f->log, e);
    return coll_agree(f->comm, e);
}

/* What each leader mounts: the image on the shared filesystem, or its
 * node's own copy, broadcast unless the node held it already. */
static int deliver(const struct fs_run *f, const char *dir, struct staging_result *st, struct image_io *io,
                   struct err *e)
{
    if (opts_of(f->fs)->deliver == IMAGE_DELIVER_BCAST)
        return image_bcast(f, dir, &f->hold->image, image_figures(st), &st->bytes_between_nodes, io, e);
    if (fs_node_leader(f)) {
        f->hold->image = strdup(f->fs->path);
        io->files_opened++;   /* by its squashfuse or loop device */
    }
    return 0;
}

/* Rank 0's figures of what crossed: every rank's reads summed. */
static void sum_io(const struct fs_run *f, const struct image_io *io, struct staging_result *st)
{
    long long mine[2] = {io->bytes_read, io->files_opened}, all[2] = {0, 0};
    MPI_Reduce(mine, all, 2, MPI_LONG_LONG, MPI_SUM, 0, f->comm);
    st->crossed = 1;
    st->shared_bytes_read = all[0];
    st->shared_files_opened = all[1];
}

static int prepare(const struct fs_run *f, char **venv, struct staging_result *st, struct err *e)
{
    int rank;
    double mount_s = 0, slowest = 0;
    struct image_io io = {0};
    MPI_Comm_rank(f->comm, &rank);
    memset(st, 0, sizeof *st);
    *venv = nodes_dir(opts_of(f->fs)->mount, f->ranks_per_node, rank);
    int leader = fs_node_leader(f);
    if (hold_mounts(f, e) < 0)
        return err_wrap(e, "filesystem '%s': ", f->fs->name);
    MPI_Barrier(f->comm);
    double t0 = now_seconds();
    check_image(f, st, 0, &io, e);
    /* The other ranks sleep while rank 0 checks the image (a walk of the
     * venv without a stamp): spinning in MPI, they would take the cores
     * its walk and the filesystem's client need (up to 5x slower on the
     * virtual cluster). */
    coll_quiet_barrier(f->comm);
    if (coll_agree(f->comm, e) < 0)
        return err_wrap(e, "filesystem '%s': ", f->fs->name);
    deliver(f, *venv, st, &io, e);
    if (coll_agree(f->comm, e) < 0)
        return err_wrap(e, "filesystem '%s': ", f->fs->name);
    if (leader)
        mount_here(f, *venv, &mount_s, e);
    MPI_Reduce(&mount_s, &slowest, 1, MPI_DOUBLE, MPI_MAX, 0, f->comm);
    sum_io(f, &io, st);
    coll_quiet_barrier(f->comm);
    int nodes = count_nodes(f->comm, f->ranks_per_node);
    if (coll_agree(f->comm, e) < 0)
        return err_wrap(e, "filesystem '%s': ", f->fs->name);
    if (rank == 0) {
        st->seconds = now_seconds() - t0;
        image_figures(st)->mount_s = slowest;
        image_figures(st)->mount_with = mounters[opts_of(f->fs)->mount_with];
        image_figures(st)->deliver = deliveries[opts_of(f->fs)->deliver];
        st->leaders = nodes;   /* mounts */
    }
    return 0;
}

/* Delivered shared, each node's mount read the pages its imports needed
 * from the shared filesystem: counted before the unmount, summed on rank 0. */
static void count_shared_pages(const struct fs_run *f, struct staging_result *st)
{
    long long mine = 0, all = 0;
    if (opts_of(f->fs)->deliver != IMAGE_DELIVER_SHARED)
        return;
    if (f->hold->point)
        mine = image_mount_bytes_read(f->hold->point);
    mine = mine > 0 ? mine : 0;   /* unknown: not counted */
    MPI_Reduce(&mine, &all, 1, MPI_LONG_LONG, MPI_SUM, 0, f->comm);
    if (st->crossed && all > 0)
        st->shared_bytes_read += all;
}

/* Only what this run mounted, and only while it is still the image's
 * (or its node's copy's) that this run mounted there. */
static int finish(const struct fs_run *f, const char *venv, struct staging_result *st, struct err *e)
{
    (void)venv;
    coll_quiet_barrier(f->comm);
    count_shared_pages(f, st);
    if (f->hold->point)
        image_unmount(f->hold->point, f->hold->image, e);
    int rc = coll_agree(f->comm, e);
    fs_release(f);
    return rc == 0 ? 0 : err_wrap(e, "filesystem '%s': ", f->fs->name);
}

/* A read-only image cannot take bytecode: the children keep it beside
 * the mount, in node-local memory when the mount point is. */
static char *pycache_prefix(const struct fs_conf *fs, const char *venv)
{
    /* The image's own bytecode: python reads __pycache__ beside each
     * module (a prefix would hide it) and, the mount being read-only,
     * compiles in memory what is missing or stale. */
    if (opts_of(fs)->bytecode == IMAGE_BYTECODE_IMAGE)
        return NULL;
    size_t n = strlen(venv) + 16;
    char *dir = malloc(n);
    snprintf(dir, n, "%s-pycache", venv);
    return dir;
}

/* Rank 0 (or the one process) builds the image of the venv unless it is
 * up to date: the prep step walks the venv and stamps the image, a run
 * trusts a current stamp. */
static int check_image(const struct fs_run *f, struct staging_result *st, int prep, struct image_io *io,
                       struct err *e)
{
    const struct fs_conf *fs = f->fs;
    int rank = 0;
    if (f->comm != MPI_COMM_NULL)
        MPI_Comm_rank(f->comm, &rank);
    if (rank != 0)
        return 0;
    if (f->log)
        fprintf(f->log, "harness: the image %s of %s\n", fs->path, f->source);
    struct image_recipe how = {.bytecode = opts_of(fs)->bytecode == IMAGE_BYTECODE_IMAGE,
                               .compression = opts_of(fs)->compression};
    if (image_build(f->source, fs->path, fs->lock_timeout, f->log, prep, &how, image_figures(st), io, e) < 0)
        return -1;
    st->done = 1;
    st->kind = &fs_kind_image;
    st->seconds = image_figures(st)->build_s;
    return 0;
}

/* --stage-only, and the jobs' stage step. */
static int stage(const struct fs_run *f, struct staging_result *st, struct err *e)
{
    struct image_io io = {0};
    memset(st, 0, sizeof *st);
    if (check_image(f, st, 1, &io, e) < 0)
        return -1;
    st->crossed = 1;
    st->shared_bytes_read = io.bytes_read;
    st->shared_files_opened = io.files_opened;
    return 0;
}

/* An image copies no entries: its own lines say what it did. */
static void render_text(const struct staging_result *st, FILE *out)
{
    const struct image_figures *g = image_figures((struct staging_result *)st);
    fprintf(out, "  staging       %s, %d mount%s; %.3f s\n", st->kind->name, st->leaders, st->leaders == 1 ? "" : "s",
            st->seconds);
    fprintf(out, "  image         %lld bytes, %s %.3f s (%s, %lld entries walked); mounted in %.3f s (slowest node, "
                 "%s)\n",
            g->bytes, g->built ? "built in" : "up to date, checked in", g->build_s, g->check ? g->check : "",
            g->entries_walked, g->mount_s, g->mount_with ? g->mount_with : "not mounted");
    if (g->deliver)
        fprintf(out, "  delivered     %s%s", g->deliver, strcmp(g->deliver, "bcast") ? "\n" : "");
    if (g->deliver && strcmp(g->deliver, "bcast") == 0)
        fprintf(out, " in %.3f s, %d node%s held it already\n", g->bcast_s, g->nodes_warm,
                g->nodes_warm == 1 ? "" : "s");
    fs_result_text_crossed(st, out);
}

static json_object *render_json(const struct staging_result *st)
{
    const struct image_figures *g = image_figures((struct staging_result *)st);
    int bcast = g->deliver && strcmp(g->deliver, "bcast") == 0;
    json_object *o = json_object_new_object();
    json_object_object_add(o, "bytes", json_object_new_int64(g->bytes));
    json_object_object_add(o, "built", json_object_new_boolean(g->built));
    json_object_object_add(o, "check", g->check ? json_object_new_string(g->check) : NULL);
    json_object_object_add(o, "entries_walked", json_object_new_int64(g->entries_walked));
    json_object_object_add(o, "build_s", json_object_new_double(g->build_s));
    json_object_object_add(o, "mount_s", json_object_new_double(g->mount_s));
    json_object_object_add(o, "mount_with", g->mount_with ? json_object_new_string(g->mount_with) : NULL);
    json_object_object_add(o, "deliver", g->deliver ? json_object_new_string(g->deliver) : NULL);
    json_object_object_add(o, "compression", g->compression ? json_object_new_string(g->compression) : NULL);
    json_object_object_add(o, "bcast_s", bcast ? json_object_new_double(g->bcast_s) : NULL);
    json_object_object_add(o, "nodes_warm", bcast ? json_object_new_int(g->nodes_warm) : NULL);
    return o;
}

static const struct opt_spec options[] = {
    {.key = "mount", .type = OPT_PLACE, .offset = offsetof(struct image_opts, mount), .required = 1,
     .what = "the node-local mount point"},
    {.key = "mount_with", .type = OPT_WORD, .offset = offsetof(struct image_opts, mount_with),
     .dflt = IMAGE_MOUNT_SQUASHFUSE, .words = mounters},
    /* "shared" by default: what the kind did before the broadcast existed. */
    {.key = "deliver", .type = OPT_WORD, .offset = offsetof(struct image_opts, deliver),
     .dflt = IMAGE_DELIVER_SHARED, .words = deliveries},
    /* "node" by default: what the kind did before bytecode was packed. */
    {.key = "bytecode", .type = OPT_WORD, .offset = offsetof(struct image_opts, bytecode),
     .dflt = IMAGE_BYTECODE_NODE, .words = bytecodes},
    /* zstd by default: the smaller image, what the kind built before. */
    {.key = "compression", .type = OPT_WORD, .offset = offsetof(struct image_opts, compression),
     .dflt = IMAGE_ZSTD, .words = image_compressions},
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
