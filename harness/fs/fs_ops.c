/* fs_ops.c: the table of run-time operations per filesystem kind, and what
 * kinds share: the venv is there before any rank uses it; other nodes' warm-up. */
#include "fs/fs.h"

#include <stdio.h>
#include <unistd.h>

#include "base/collective.h"
#include "base/nodes.h"
#include "proc/spawn.h"

static const struct fs_ops ops[FS_NKINDS] = {
    [FS_INPLACE] = {fs_inplace_prepare, NULL, NULL},
    [FS_STAGED] = {fs_staged_prepare, fs_staged_warm, NULL},
    [FS_BCAST] = {fs_bcast_prepare, fs_bcast_warm, fs_bcast_finish},
    /* The bytecode of a read-only image goes to node-local memory: each
     * node's leader warms it, as a bcast node warms its copy. */
    [FS_IMAGE] = {fs_image_prepare, fs_bcast_warm, fs_image_finish},
};

const struct fs_ops *fs_ops_of(enum fs_kind kind)
{
    return kind >= 0 && kind < FS_NKINDS ? &ops[kind] : &ops[FS_INPLACE];
}

int fs_check_venv(const struct fs_conf *fs, const char *venv, struct err *e)
{
    char python[4096], hint[4600];
    snprintf(python, sizeof python, "%s/bin/python", venv);
    if (access(python, X_OK) == 0)
        return 0;
    const struct fs_kind_info *k = fs_kind_info(fs->kind);
    /* The hint is the kind table's constant format, never config text. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    snprintf(hint, sizeof hint, k->missing_hint, fs->path);
#pragma GCC diagnostic pop
    return err_set(e, EXIT_SETUP, "filesystem '%s' (%s): no virtualenv at %s: %s", fs->name, k->name, venv, hint);
}

int fs_warm_other_nodes(MPI_Comm comm, int ranks_per_node, FILE *log, char *const *argv, char *const *envp,
                        double timeout, struct err *e)
{
    int rank, local_rank;
    MPI_Comm node;
    MPI_Comm_rank(comm, &rank);
    nodes_split(comm, ranks_per_node, &node);
    MPI_Comm_rank(node, &local_rank);
    MPI_Comm_free(&node);
    if (log)
        fprintf(log, "harness: warm-up import on each other node's copy\n");
    struct spawn_job job;
    struct child_result res;
    /* Its outcome is left to the timed phase to see. */
    if (local_rank == 0 && rank != 0 && spawn_prepare(&job, argv, envp, 0, e) == 0) {
        spawn_run(&job, timeout, &res, e);
        spawn_release(&job);
    }
    coll_quiet_barrier(comm);
    return coll_agree(comm, e);
}
