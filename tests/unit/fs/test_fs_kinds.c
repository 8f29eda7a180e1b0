/* test_fs_kinds.c: the table of filesystem kinds: every kind named and
 * parsed back, and the facts that job generation and --stage-only read. */
#include <string.h>

#include "../check.h"
#include "fs/fs_kind.h"

int main(void)
{
    for (int k = 0; k < FS_NKINDS; k++) {
        const struct fs_kind_info *i = fs_kind_info((enum fs_kind)k);
        enum fs_kind back;
        CHECK(i->name && i->how && i->missing_hint);
        CHECK(fs_kind_parse(i->name, &back) == 0 && back == (enum fs_kind)k);
        CHECK_CONTAINS(fs_kind_names(), i->name);
        /* The hint is a format with exactly one %s (the path). */
        const char *p = strstr(i->missing_hint, "%");
        CHECK(p && p[1] == 's' && !strchr(p + 1, '%'));
    }
    enum fs_kind k;
    CHECK(fs_kind_parse("shifter", &k) < 0);
    CHECK(fs_kind_info(FS_STAGED)->stage_step && fs_kind_info(FS_STAGED)->path_required);
    CHECK(!fs_kind_info(FS_INPLACE)->stage_step && !fs_kind_info(FS_INPLACE)->path_required);
    CHECK(!fs_kind_info(FS_BCAST)->checks_step && !fs_kind_info(FS_BCAST)->stage_step);
    CHECK(strcmp(fs_kind_name(FS_BCAST), "bcast") == 0);
    return check_summary();
}
