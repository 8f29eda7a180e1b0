/* fs_inplace.c: the kind `inplace`: the venv is measured where it was
 * built (the seed's "common"); nothing moves, every rank uses one path. */
#include <string.h>

#include "fs/fs.h"

int fs_inplace_prepare(const struct fs_run *f, char **venv, struct staging_result *st, struct err *e)
{
    (void)e;
    *venv = strdup(f->fs->path);
    st->done = 0;
    return 0;
}
