/* fs_shared.c: what the kinds share at run time: the venv is there before
 * any rank uses it, a node's leader, and the other nodes' warm-up. */
#include "fs/fs.h"

#include <stdio.h>
#include <unistd.h>

#include "base/collective.h"
#include "base/nodes.h"
#include "proc/spawn.h"

int fs_check_venv(const struct fs_conf *fs, const char *venv, struct err *e)
{
    char python[4096], hint[4600];
    snprintf(python, sizeof python, "%s/bin/python", venv);
    if (access(python, X_OK) == 0)
        return 0;
    const struct fs_kind *k = fs->kind;
    /* The hint is the kind table's constant format, never config text. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    snprintf(hint, sizeof hint, k->missing_hint, fs->path);
#pragma GCC diagnostic pop
    return err_set(e, EXIT_SETUP, "filesystem '%s' (%s): no virtualenv at %s: %s", fs->name, k->name, venv, hint);
}

int fs_node_leader(const struct fs_run *f)
{
    return nodes_local_rank(f->comm, f->ranks_per_node) == 0;
}

int fs_warm_other_nodes(const struct fs_run *f, int ranks_per_node, char *const *argv, char *const *envp,
                        double timeout, struct err *e)
{
    int rank, local_rank = nodes_local_rank(f->comm, ranks_per_node);
    MPI_Comm_rank(f->comm, &rank);
    if (f->log)
        fprintf(f->log, "harness: warm-up import on each other node's copy\n");
    struct spawn_job job;
    struct child_result res;
    /* Its outcome is left to the timed phase to see. */
    if (local_rank == 0 && rank != 0 && spawn_prepare(&job, argv, envp, 0, e) == 0) {
        spawn_run(&job, timeout, &res, e);
        spawn_release(&job);
    }
    coll_quiet_barrier(f->comm);
    return coll_agree(f->comm, e);
}

int fs_warm_each_node(const struct fs_run *f, const struct staging_result *st, char *const *argv, char *const *envp,
                      double timeout, struct err *e)
{
    (void)st;
    return fs_warm_other_nodes(f, f->ranks_per_node, argv, envp, timeout, e);
}
