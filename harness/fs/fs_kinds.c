/* fs_kinds.c: the table of static facts per filesystem kind; the one place
 * generic code asks what a kind is, instead of testing its enum value. */
#include "fs/fs_kind.h"

#include <string.h>

static const struct fs_kind_info kinds[FS_NKINDS] = {
    [FS_INPLACE] = {"inplace", "used in place", 0, 0, 1, "build it with jobs/build-virtualenv.sh %s"},
    [FS_STAGED] = {"staged", "staged before the run", 1, 1, 1,
                   "stage it first with harness --stage-only (it stages to %s)"},
    [FS_BCAST] = {"bcast", "broadcast to each node at run time", 1, 0, 0,
                  "the broadcast did not leave it at %s: see the run's staging messages", 1},
    [FS_IMAGE] = {"image", "a squashfs image mounted on each node", 1, 1, 0,
                  "the image %s did not mount it: see the run's messages", 0},
};

const struct fs_kind_info *fs_kind_info(enum fs_kind kind)
{
    return kind >= 0 && kind < FS_NKINDS ? &kinds[kind] : &kinds[FS_INPLACE];
}

const char *fs_kind_name(enum fs_kind kind)
{
    return fs_kind_info(kind)->name;
}

int fs_kind_parse(const char *name, enum fs_kind *kind)
{
    for (int k = 0; k < FS_NKINDS; k++)
        if (strcmp(name, kinds[k].name) == 0) {
            *kind = (enum fs_kind)k;
            return 0;
        }
    return -1;
}

const char *fs_kind_names(void)
{
    return "inplace, staged, bcast, image";
}

int fs_cleanup_parse(const char *name, enum fs_cleanup *c)
{
    static const char *const names[] = {"never", "after-run", "keep-last"};
    for (int i = 0; i < 3; i++)
        if (strcmp(name, names[i]) == 0) {
            *c = (enum fs_cleanup)i;
            return 0;
        }
    return -1;
}

static const char *const mounters[] = {"squashfuse", "loop"};

int fs_mounter_parse(const char *name, enum fs_mounter *m)
{
    for (int i = 0; i < 2; i++)
        if (strcmp(name, mounters[i]) == 0) {
            *m = (enum fs_mounter)i;
            return 0;
        }
    return -1;
}

const char *fs_mounter_name(enum fs_mounter m)
{
    return mounters[m == FS_MOUNT_LOOP];
}
