/* fs_ops.c: the table of run-time operations per filesystem kind, and the
 * check every kind shares: the venv is there before any rank uses it. */
#include "fs.h"

#include <stdio.h>
#include <unistd.h>

static const struct fs_ops ops[FS_NKINDS] = {
    [FS_INPLACE] = {fs_inplace_prepare, NULL},
    [FS_STAGED] = {fs_staged_prepare, fs_staged_warm},
    [FS_BCAST] = {fs_bcast_prepare, fs_bcast_warm},
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
