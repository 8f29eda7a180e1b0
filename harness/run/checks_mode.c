/* checks_mode.c: --checks-only, the job step that runs the set-up checks
 * in one process before the scale run, without MPI, and fails loudly. */
#include "config/suite.h"
#include "run/checks.h"
#include "run/run.h"

static int check_target(const struct run_opts *o, const struct config *conf, const struct machine_conf *m,
                        const struct fs_conf *fs, struct err *e)
{
    struct suite_choice suite;
    if (suite_choose(conf, m, o->import_stmt, o->suite, &suite, e) < 0)
        return -1;
    const char *stmt = suite.stmt;
    double timeout = o->timeout > 0 ? o->timeout : m->timeout;
    struct child_cmd cmd;
    struct setup_info s;
    const struct fs_kind *k = fs->kind;
    if (!k->checks_step)
        return err_set(e, EXIT_USAGE,
                       "%s:%d: filesystem '%s' is %s (kind %s): its copies exist only during the run, "
                       "which checks them itself",
                       conf->path, fs->line, fs->name, k->how, k->name);
    if (child_cmd_init(&cmd, fs->path, stmt, NULL, e) < 0)
        return err_wrap(e, "filesystem '%s': ", fs->name);
    int rc = checks_run(&cmd, fs->path, stmt, timeout, &s, o->quiet ? NULL : stdout, e);
    child_cmd_free(&cmd);
    if (rc < 0)
        return err_wrap(e, "filesystem '%s': ", fs->name);
    /* Unlike the run, which counts a failing import as a result, a job
     * stops here: thousands of ranks would only fail the same way. */
    if (s.import_error[0])
        return err_set(e, EXIT_SETUP, "filesystem '%s' (%s): the import fails in one process: %s", fs->name,
                       fs->path, s.import_error);
    return 0;
}

int checks_only(const struct config *conf, const struct run_opts *o, struct err *e)
{
    const struct machine_conf *m = config_machine(conf, o->machine, e);
    const struct fs_conf *fs = m ? config_fs(conf, m, o->filesystem, e) : NULL;
    if (fs)
        check_target(o, conf, m, fs, e);
    return e->status;
}
