/* config_check.c: what the parser refuses beyond types: keys it does not
 * know (a typo would silently keep a default) and names unfit for jobs. */
#include "config/config_parse.h"

#include <stdio.h>
#include <string.h>

/* Levenshtein distance, for "did you mean": keys are short, a row fits. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return la > lb ? la : lb;
    size_t row[64];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

static int known(const char *key, const char *const *keys)
{
    for (; *keys; keys++)
        if (strcmp(key, *keys) == 0)
            return 1;
    return 0;
}

static const char *nearest(const char *key, const char *const *keys)
{
    const char *best = keys[0];
    size_t dist = (size_t)-1;
    for (; *keys; keys++) {
        size_t d = edit_distance(key, *keys);
        if (d < dist) {
            dist = d;
            best = *keys;
        }
    }
    return best;
}

int cfg_known_keys(const struct config *conf, const config_setting_t *grp, const char *what,
                   const char *const *keys, struct err *e)
{
    if (!grp || !config_setting_is_group(grp))
        return 0;
    for (int i = 0; i < config_setting_length(grp); i++) {
        const config_setting_t *s = config_setting_get_elem(grp, (unsigned)i);
        const char *key = config_setting_name(s);
        if (key && !known(key, keys))
            return cfg_bad(e, conf->path, s, "unknown key '%s' in %s (did you mean '%s'?)", key, what,
                           nearest(key, keys));
    }
    return 0;
}

/* Letters, digits, '.', '_' and '-', not first '.' or '-': safe as a file
 * name, a job name, a word of a shell line and an sbatch option's value. */
int config_plain_name(const char *s)
{
    if (!*s || *s == '-' || *s == '.')
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '.' ||
              *s == '_' || *s == '-'))
            return 0;
    return 1;
}

/* S as a C-like literal: a newline in a bad name must not split the
 * one-line error that reports it. */
static void escaped(char *out, size_t n, const char *s)
{
    size_t len = 0;
    for (; *s && len + 5 < n; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '\n')
            len += (size_t)snprintf(out + len, n - len, "\\n");
        else if (c < ' ' || c == 0x7f)
            len += (size_t)snprintf(out + len, n - len, "\\x%02x", c);
        else
            out[len++] = (char)c;
    }
    out[len] = '\0';
}

int cfg_name(const struct config *conf, const config_setting_t *grp, const char *what, char **out, struct err *e)
{
    if (cfg_string(conf, grp, "name", 1, out, e) < 0)
        return -1;
    if (config_plain_name(*out))
        return 0;
    char shown[256];
    escaped(shown, sizeof shown, *out);
    return cfg_bad(e, conf->path, config_setting_get_member(grp, "name"),
                   "%s name '%s' cannot name a job or a file: use letters, digits, '.', '_' and '-', "
                   "not starting with '.' or '-'",
                   what, shown);
}
