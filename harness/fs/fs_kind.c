/* fs_kind.c: questions asked of the kinds' table by name and by setting,
 * so that no code outside a kind's file names the kind. */
#include "fs/fs_kind.h"

#include <stdio.h>
#include <string.h>

const struct fs_kind *fs_kind_find(const char *name)
{
    for (int i = 0; fs_kinds[i]; i++)
        if (name ? strcmp(fs_kinds[i]->name, name) == 0 : fs_kinds[i]->is_default)
            return fs_kinds[i];
    return NULL;
}

static void append(char *buf, size_t size, size_t *used, const char *s)
{
    if (*used < size)
        *used += (size_t)snprintf(buf + *used, size - *used, "%s%s", *used ? ", " : "", s);
}

char *fs_kind_names(char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = 0;
    for (int i = 0; fs_kinds[i]; i++)
        append(buf, size, &used, fs_kinds[i]->name);
    return buf;
}

const struct opt_spec *fs_kind_option(const struct fs_kind *k, const char *key)
{
    for (const struct opt_spec *o = k->options; o && o->key; o++)
        if (strcmp(o->key, key) == 0)
            return o;
    return NULL;
}

char *fs_kinds_taking(const char *key, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = 0;
    for (int i = 0; fs_kinds[i]; i++)
        if (fs_kind_option(fs_kinds[i], key))
            append(buf, size, &used, fs_kinds[i]->name);
    return buf;
}

const char *const *fs_option_words(const char *key)
{
    for (int i = 0; fs_kinds[i]; i++) {
        const struct opt_spec *o = fs_kind_option(fs_kinds[i], key);
        if (o && o->type == OPT_WORD)
            return o->words;
    }
    return NULL;
}

int fs_set_word(struct fs_conf *fs, const char *key, const char *value, struct err *e)
{
    const struct opt_spec *o = fs_kind_option(fs->kind, key);
    if (!o || o->type != OPT_WORD)
        return 0;
    int i = opt_word_index(o->words, value);
    char words[256];
    if (i < 0)
        return err_set(e, EXIT_USAGE, "filesystem '%s': %s '%s' is not one of %s", fs->name, key, value,
                       opt_words_list(o->words, words, sizeof words));
    memcpy((char *)fs->opts + o->offset, &i, sizeof i);
    return 0;
}
