/* target.c: the machine and filesystem a run mode acts on, found in the
 * config, with the command line's override of the kind's cleanup. */
#include "run/target.h"

int run_target_find(struct config *conf, const struct run_opts *o, struct run_target *t, struct err *e)
{
    t->m = config_machine(conf, o->machine, e);
    t->fs = t->m ? config_fs(conf, t->m, o->filesystem, e) : NULL;
    if (!t->fs)
        return -1;
    /* CONF is this run's own copy: the override changes nothing on disk. */
    if (o->cleanup)
        return fs_set_word((struct fs_conf *)t->fs, "cleanup", o->cleanup, e);
    return 0;
}

struct fs_run run_target_fs(MPI_Comm comm, const struct run_target *t, const struct run_opts *o, FILE *log)
{
    return (struct fs_run){
        .comm = comm,
        .source = t->m->venv,
        .fs = t->fs,
        .ranks_per_node = o->ranks_per_node,
        .delete_extra = o->delete_extra,
        .log = log,
    };
}
