/* config_kind_opts.c: a filesystem's settings that belong to its kind,
 * read through the kind's own table of settings (fs_kind.options); a key
 * of another kind is refused by line, naming the kinds that take it. */
#include <stdlib.h>
#include <string.h>

#include "config/config_parse.h"

/* Every key a filesystem block may hold: the shared ones and each kind's,
 * so that a typo is answered with the nearest of them. */
static const char **all_fs_keys(const char *const *shared)
{
    size_t n = 0, cap = 16;
    const char **keys = malloc(cap * sizeof *keys);
    for (; shared[n]; n++)
        keys[n] = shared[n];
    for (int k = 0; fs_kinds[k]; k++)
        for (const struct opt_spec *o = fs_kinds[k]->options; o && o->key; o++) {
            if (n + 2 > cap)
                keys = realloc(keys, (cap *= 2) * sizeof *keys);
            keys[n++] = o->key;
        }
    keys[n] = NULL;
    return keys;
}

int cfg_fs_known_keys(const struct config *conf, const config_setting_t *g, const char *const *shared, struct err *e)
{
    const char **keys = all_fs_keys(shared);
    int rc = cfg_known_keys(conf, g, "a filesystem", keys, e);
    free(keys);
    return rc;
}

static int one_word(const struct config *conf, const config_setting_t *g, const struct fs_conf *fs,
                    const struct opt_spec *o, int *out, struct err *e)
{
    char *v = NULL, words[256];
    *out = o->dflt;
    if (!config_setting_get_member(g, o->key))
        return 0;
    if (cfg_string(conf, g, o->key, 0, &v, e) < 0)
        return -1;
    *out = opt_word_index(o->words, v);
    if (*out < 0)
        cfg_bad(e, conf->path, config_setting_get_member(g, o->key), "filesystem '%s': %s '%s' is not one of %s",
                fs->name, o->key, v, opt_words_list(o->words, words, sizeof words));
    free(v);
    return *out < 0 ? -1 : 0;
}

/* Lexically only, so no link is followed: `a//b` is `a/b`, and `a/` is
 * `a` for the directory it must be; its pretend nodes' `-node<k>` and its
 * bytecode's `-pycache` then go beside it, not into it. */
static void tidy_slashes(char *p)
{
    char *w = p;
    for (const char *r = p; *r; r++)
        if (*r != '/' || w == p || w[-1] != '/')
            *w++ = *r;
    while (w > p + 1 && w[-1] == '/')
        w--;
    *w = '\0';
}

/* A place the run makes or mounts on, kept as written (a symlink in it
 * is judged where it is opened); empty, it would be the config's own
 * directory. */
static int one_place(const struct config *conf, const config_setting_t *g, const struct fs_conf *fs,
                     const struct opt_spec *o, char **out, struct err *e)
{
    char *raw = NULL;
    const config_setting_t *s = config_setting_get_member(g, o->key);
    if (cfg_string(conf, g, o->key, 0, &raw, e) < 0)
        return -1;
    if (!raw)
        return 0;
    if (raw[strspn(raw, " \t")] == '\0') {
        free(raw);
        return cfg_bad(e, conf->path, s, "filesystem '%s': '%s' is empty: a %s filesystem needs a directory of its own",
                       fs->name, o->key, fs->kind->name);
    }
    *out = cfg_join_path(conf, raw, s, e);
    free(raw);
    if (!*out)
        return -1;
    tidy_slashes(*out);
    return 0;
}

static int one_option(const struct config *conf, const config_setting_t *g, struct fs_conf *fs,
                      const struct opt_spec *o, struct err *e)
{
    void *at = (char *)fs->opts + o->offset;
    if (o->required && !config_setting_get_member(g, o->key))
        return cfg_bad(e, conf->path, g, "filesystem '%s': kind %s needs '%s', %s", fs->name, fs->kind->name, o->key,
                       o->what ? o->what : "which it cannot do without");
    switch (o->type) {
    case OPT_INT: return cfg_int(conf, g, o->key, o->dflt, o->min, o->max, at, e);
    case OPT_WORD: return one_word(conf, g, fs, o, at, e);
    case OPT_PATH: return cfg_path(conf, g, o->key, o->required, at, e);
    case OPT_PLACE: return one_place(conf, g, fs, o, at, e);
    }
    return -1;
}

/* A key only other kinds take, refused by its line. */
static int foreign_key(const struct config *conf, const config_setting_t *g, const struct fs_conf *fs, struct err *e)
{
    char kinds[256];
    for (int i = 0; i < config_setting_length(g); i++) {
        const config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
        const char *key = config_setting_name(s);
        if (!key || fs_kind_option(fs->kind, key) || !*fs_kinds_taking(key, kinds, sizeof kinds))
            continue;
        return cfg_bad(e, conf->path, s, "filesystem '%s': '%s' applies only to kind%s %s", fs->name, key,
                       strchr(kinds, ',') ? "s" : "", kinds);
    }
    return 0;
}

int cfg_parse_kind_opts(const struct config *conf, const config_setting_t *g, struct fs_conf *fs, struct err *e)
{
    const struct fs_kind *k = fs->kind;
    if (foreign_key(conf, g, fs, e) < 0)
        return -1;
    fs->opts = k->opts_size ? calloc(1, k->opts_size) : NULL;
    for (const struct opt_spec *o = k->options; o && o->key; o++)
        if (one_option(conf, g, fs, o, e) < 0)
            return -1;
    struct err why = {0};
    if (k->check && k->check(fs, &why) < 0)
        return cfg_bad(e, conf->path, g, "filesystem '%s': %s", fs->name, why.msg);
    return 0;
}

void cfg_free_kind_opts(struct fs_conf *fs)
{
    if (!fs->opts)
        return;
    for (const struct opt_spec *o = fs->kind->options; o && o->key; o++)
        if (o->type == OPT_PATH || o->type == OPT_PLACE)
            free(*(char **)(void *)((char *)fs->opts + o->offset));
    free(fs->opts);
    fs->opts = NULL;
}
