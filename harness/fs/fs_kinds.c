/* fs_kinds.c: the filesystem kinds, one row each: adding a kind is its
 * file fs/fs_<kind>.c and its two lines here. */
#include "fs/fs_kind.h"

extern const struct fs_kind fs_kind_inplace, fs_kind_staged, fs_kind_bcast, fs_kind_image;

const struct fs_kind *const fs_kinds[] = {
    &fs_kind_inplace,
    &fs_kind_staged,
    &fs_kind_bcast,
    &fs_kind_image,
    NULL,
};
