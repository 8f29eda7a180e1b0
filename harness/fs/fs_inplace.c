/* fs_inplace.c: the kind `inplace`: the venv is measured where it was
 * built (the seed's "common"); nothing moves, every rank uses one path. */
#include <string.h>

#include "fs/fs.h"

static int prepare(const struct fs_run *f, char **venv, struct staging_result *st, struct err *e)
{
    (void)e;
    *venv = strdup(f->fs->path);
    st->done = 0;
    return 0;
}

const struct fs_kind fs_kind_inplace = {
    .name = "inplace",
    .how = "used in place",
    .checks_step = 1,
    .missing_hint = "build it with jobs/build-virtualenv.sh %s",
    .ops = {.prepare = prepare},
};
