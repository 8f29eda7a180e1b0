/* test_fs_kinds.c: the table of filesystem kinds: every kind found by its
 * name, and the facts and settings job generation and the config read. */
#include <string.h>

#include "../check.h"
#include "fs/fs_kind.h"

int main(void)
{
    char names[256], taking[256];
    int n = 0;
    for (; fs_kinds[n]; n++) {
        const struct fs_kind *k = fs_kinds[n];
        CHECK(fs_kind_find(k->name) == k);
        CHECK(k->how && k->how[0] && k->missing_hint && strstr(k->missing_hint, "%s"));
        CHECK(k->ops.prepare != NULL);
        CHECK(!k->options || k->opts_size > 0);
        CHECK_CONTAINS(fs_kind_names(names, sizeof names), k->name);
    }
    CHECK(n == 4);
    CHECK(fs_kind_find("shifter") == NULL);
    const struct fs_kind *staged = fs_kind_find("staged"), *inplace = fs_kind_find("inplace"),
                         *bcast = fs_kind_find("bcast"), *image = fs_kind_find("image");
    CHECK(staged->ops.stage && staged->path_required && staged->checks_step);
    CHECK(!inplace->ops.stage && !inplace->path_required && inplace->checks_step);
    CHECK(!bcast->checks_step && bcast->ops.stage && bcast->ops.finish);   /* stage: packs its image */
    CHECK(image->ops.stage && image->ops.pycache_prefix && !image->checks_step);
    /* Settings: each where its kind is, named for the others' messages. */
    CHECK(fs_kind_option(bcast, "cleanup") && fs_kind_option(bcast, "compress_level"));
    CHECK(fs_kind_option(image, "mount") && fs_kind_option(image, "mount_with"));
    CHECK(!fs_kind_option(staged, "mount") && !fs_kind_option(inplace, "cleanup"));
    CHECK(strcmp(fs_kinds_taking("cleanup", taking, sizeof taking), "bcast") == 0);
    CHECK(strcmp(fs_kinds_taking("nothing", taking, sizeof taking), "") == 0);
    const char *const *words = fs_option_words("cleanup");
    CHECK(words && opt_word_index(words, "keep-last") == 2 && opt_word_index(words, "sometimes") < 0);
    CHECK(fs_option_words("compress_level") == NULL);
    return check_summary();
}
