/* config_fs_opts.c: a filesystem's settings that only some kinds take
 * (cleanup of node copies, compression); each refused, by line, where it
 * means nothing. */
#include <stdlib.h>

#include "config/config_parse.h"

static int cleanup_word(const char *v, void *out) { return fs_cleanup_parse(v, out); }
static int mounter_word(const char *v, void *out) { return fs_mounter_parse(v, out); }

/* KEY, a word of CHOICES parsed into OUT by PARSE, if the group has it;
 * refused by line where the kind does not take it (APPLIES 0: only KINDS do). */
static int word(const struct config *conf, const config_setting_t *g, const struct fs_conf *fs, const char *key,
                int applies, const char *kinds, int (*parse)(const char *, void *), void *out, const char *choices,
                struct err *e)
{
    char *v = NULL;
    const config_setting_t *s = config_setting_get_member(g, key);
    if (!s)
        return 0;
    if (!applies)
        return cfg_bad(e, conf->path, s, "filesystem '%s': '%s' applies only to %s", fs->name, key, kinds);
    if (cfg_string(conf, g, key, 0, &v, e) < 0)
        return -1;
    int bad = parse(v, out) < 0;
    if (bad)
        cfg_bad(e, conf->path, s, "filesystem '%s': %s '%s' is not one of %s", fs->name, key, v, choices);
    free(v);
    return bad ? -1 : 0;
}

static int parse_cleanup(const struct config *conf, const config_setting_t *g, struct fs_conf *fs, struct err *e)
{
    fs->cleanup = FS_CLEANUP_NEVER;
    return word(conf, g, fs, "cleanup", fs_kind_info(fs->kind)->node_copies, "kinds with a copy per node (bcast)",
                cleanup_word, &fs->cleanup, "never, after-run, keep-last", e);
}

static int parse_level(const struct config *conf, const config_setting_t *g, struct fs_conf *fs, struct err *e)
{
    const config_setting_t *s = config_setting_get_member(g, "compress_level");
    fs->compress_level = FS_COMPRESS_DEFAULT;
    if (!s)
        return 0;
    if (fs->kind != FS_BCAST)
        return cfg_bad(e, conf->path, s, "filesystem '%s': 'compress_level' applies only to kind bcast", fs->name);
    /* 19: zstd's highest level without its --ultra memory cost. */
    return cfg_int(conf, g, "compress_level", FS_COMPRESS_DEFAULT, 0, 19, &fs->compress_level, e);
}

static int parse_mount(const struct config *conf, const config_setting_t *g, struct fs_conf *fs, struct err *e)
{
    const config_setting_t *s = config_setting_get_member(g, "mount");
    if (fs->kind != FS_IMAGE)
        return s ? cfg_bad(e, conf->path, s, "filesystem '%s': 'mount' applies only to kind image", fs->name) : 0;
    if (!s)
        return cfg_bad(e, conf->path, g, "filesystem '%s': kind image needs 'mount', the node-local mount point",
                       fs->name);
    return cfg_path(conf, g, "mount", 1, &fs->mount, e);
}

static int parse_mounter(const struct config *conf, const config_setting_t *g, struct fs_conf *fs, struct err *e)
{
    fs->mount_with = FS_MOUNT_SQUASHFUSE;
    return word(conf, g, fs, "mount_with", fs->kind == FS_IMAGE, "kind image", mounter_word, &fs->mount_with,
                "squashfuse, loop", e);
}

int cfg_parse_fs_opts(const struct config *conf, const config_setting_t *g, struct fs_conf *fs, struct err *e)
{
    return parse_cleanup(conf, g, fs, e) < 0 || parse_level(conf, g, fs, e) < 0 || parse_mount(conf, g, fs, e) < 0 ||
                   parse_mounter(conf, g, fs, e) < 0
               ? -1
               : 0;
}
