/* config_get.c: typed reads of one libconfig setting: strings, paths (with
 * $VARS, relative to the file), numbers, lists; errors name file and line. */
#include "config/config_parse.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Everything below reports through this: the file and the setting's line. */
int cfg_bad(struct err *e, const char *path, const config_setting_t *s, const char *fmt, ...)
{
    int line = s ? (int)config_setting_source_line(s) : 0;
    char what[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (line > 0)
        return err_set(e, EXIT_USAGE, "%s:%d: %s", path, line, what);
    return err_set(e, EXIT_USAGE, "%s: %s", path, what);
}

/* $VAR and ${VAR} let one config serve every user of a centre
 * ("$SCRATCH/staged-mpi4py-import"); an unset variable is an error, not "",
 * unless DEFERRED is given: then the reference stays as written and
 * *DEFERRED says so. */
static char *cfg_expand_vars(const char *in, const char *path, const config_setting_t *s, int *deferred,
                             struct err *e)
{
    size_t cap = strlen(in) + 1, len = 0;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    for (const char *p = in; *p;) {
        const char *val = NULL;
        char name[256];
        if (*p == '$') {
            int braced = p[1] == '{';
            const char *start = p + 1 + braced, *end = start;
            while ((*end >= 'A' && *end <= 'Z') || (*end >= 'a' && *end <= 'z') ||
                   (*end >= '0' && *end <= '9') || *end == '_')
                end++;
            size_t n = (size_t)(end - start);
            if (n == 0 || n >= sizeof name || (braced && *end != '}')) {
                free(out);
                cfg_bad(e, path, s, "bad variable reference in '%s'", in);
                return NULL;
            }
            memcpy(name, start, n);
            name[n] = '\0';
            val = getenv(name);
            if (!val && !deferred) {
                free(out);
                cfg_bad(e, path, s, "'%s' uses $%s, which is not set in the environment", in, name);
                return NULL;
            }
            if (val)
                p = end + braced;
            else
                *deferred = 1;   /* the reference is copied as written, '$' first */
        }
        size_t add = val ? strlen(val) : 1;
        if (len + add + 1 > cap) {
            cap = (len + add + 1) * 2;
            char *grown = realloc(out, cap);
            if (!grown) {
                free(out);
                return NULL;
            }
            out = grown;
        }
        if (val) {
            memcpy(out + len, val, add);
        } else {
            out[len] = *p++;
        }
        len += add;
    }
    out[len] = '\0';
    return out;
}

/* Paths in the file are relative to the file, so a checkout works wherever it is. */
char *cfg_join_path(const struct config *conf, const char *raw, const config_setting_t *s, struct err *e)
{
    int deferred = 0;
    char *expanded =
        cfg_expand_vars(raw, conf->path, s, conf->flags & CONFIG_DEFER_UNSET_VARS ? &deferred : NULL, e);
    if (!expanded || deferred || expanded[0] == '/')
        return expanded;   /* deferred: unresolved, its directory is not known here */
    size_t n = strlen(conf->dir) + strlen(expanded) + 2;
    char *joined = malloc(n);
    snprintf(joined, n, "%s/%s", conf->dir, expanded);
    free(expanded);
    return joined;
}

char *cfg_resolve_path(const struct config *conf, const char *raw, const config_setting_t *s, struct err *e)
{
    char *joined = cfg_join_path(conf, raw, s, e);
    if (!joined || joined[0] != '/')
        return joined;
    /* Canonical where it exists, so reports and the module-location check
     * name one spelling of the path; not yet existing paths stay as given. */
    char *real = realpath(joined, NULL);
    if (!real)
        return joined;
    free(joined);
    return real;
}

int cfg_string(const struct config *conf, const config_setting_t *grp, const char *key, int required,
               char **out, struct err *e)
{
    config_setting_t *s = config_setting_get_member(grp, key);
    *out = NULL;
    if (!s)
        return required ? cfg_bad(e, conf->path, grp, "missing '%s'", key) : 0;
    const char *v = config_setting_get_string(s);
    if (!v)
        return cfg_bad(e, conf->path, s, "'%s' must be a string", key);
    *out = strdup(v);
    return 0;
}

int cfg_path(const struct config *conf, const config_setting_t *grp, const char *key, int required,
             char **out, struct err *e)
{
    char *raw;
    if (cfg_string(conf, grp, key, required, &raw, e) < 0)
        return -1;
    if (!raw)
        return 0;
    *out = cfg_resolve_path(conf, raw, config_setting_get_member(grp, key), e);
    free(raw);
    return *out ? 0 : -1;
}

int cfg_number(const struct config *conf, const config_setting_t *grp, const char *key, double dflt,
               double min, double max, double *out, struct err *e)
{
    config_setting_t *s = config_setting_get_member(grp, key);
    *out = dflt;
    if (!s)
        return 0;
    int type = config_setting_type(s);
    if (type != CONFIG_TYPE_INT && type != CONFIG_TYPE_INT64 && type != CONFIG_TYPE_FLOAT)
        return cfg_bad(e, conf->path, s, "'%s' must be a number", key);
    *out = type == CONFIG_TYPE_FLOAT ? config_setting_get_float(s) : (double)config_setting_get_int64(s);
    if (!isfinite(*out))
        return cfg_bad(e, conf->path, s, "'%s' must be a finite number", key);
    if (*out < min)
        return cfg_bad(e, conf->path, s, "'%s' must be at least %.15g", key, min);
    if (*out > max)
        return cfg_bad(e, conf->path, s, "'%s' must be at most %.15g", key, max);
    return 0;
}

int cfg_int(const struct config *conf, const config_setting_t *grp, const char *key, int dflt, int min, int max,
            int *out, struct err *e)
{
    double d;
    if (cfg_number(conf, grp, key, dflt, min, max, &d, e) < 0)
        return -1;
    if (d != (double)(int)d)
        return cfg_bad(e, conf->path, config_setting_get_member(grp, key), "'%s' must be a whole number", key);
    *out = (int)d;
    return 0;
}

/* A list of strings: ["a", "b"] or ("a", "b"). Missing: empty. */
int cfg_strings(const struct config *conf, const config_setting_t *grp, const char *key, char ***out,
                int *n, struct err *e)
{
    config_setting_t *s = config_setting_get_member(grp, key);
    *out = NULL;
    *n = 0;
    if (!s)
        return 0;
    if (!config_setting_is_aggregate(s) || config_setting_is_group(s))
        return cfg_bad(e, conf->path, s, "'%s' must be a list of strings", key);
    int count = config_setting_length(s);
    *out = calloc((size_t)count + 1, sizeof **out);
    for (int i = 0; i < count; i++) {
        const char *v = config_setting_get_string_elem(s, i);
        if (!v)
            return cfg_bad(e, conf->path, config_setting_get_elem(s, (unsigned)i), "'%s' must hold only strings", key);
        (*out)[i] = strdup(v);
        (*n)++;
    }
    return 0;
}

const config_setting_t *cfg_list(const struct config *conf, const config_setting_t *grp,
                                 const char *key, int required, struct err *e)
{
    const config_setting_t *s = config_setting_get_member(grp, key);
    if (!s) {
        if (required)
            cfg_bad(e, conf->path, grp, "missing '%s' (a list of groups)", key);
        return NULL;
    }
    if (!config_setting_is_list(s) && !config_setting_is_array(s)) {
        cfg_bad(e, conf->path, s, "'%s' must be a list: ( { ... }, { ... } )", key);
        return NULL;
    }
    for (int i = 0; i < config_setting_length(s); i++) {
        const config_setting_t *item = config_setting_get_elem(s, (unsigned)i);
        if (!config_setting_is_group(item)) {
            cfg_bad(e, conf->path, item, "each entry of '%s' must be a group { ... }", key);
            return NULL;
        }
    }
    return s;
}

int cfg_unique_names(const struct config *conf, const config_setting_t *list, const char *what,
                     struct err *e)
{
    int n = config_setting_length(list);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < i; j++) {
            const char *a = NULL, *b = NULL;
            config_setting_lookup_string(config_setting_get_elem(list, (unsigned)i), "name", &a);
            config_setting_lookup_string(config_setting_get_elem(list, (unsigned)j), "name", &b);
            if (a && b && strcmp(a, b) == 0)
                return cfg_bad(e, conf->path, config_setting_get_elem(list, (unsigned)i), "%s '%s' is defined twice",
                           what, a);
        }
    return 0;
}

void cfg_free_strings(char **v, int n)
{
    for (int i = 0; i < n; i++)
        free(v[i]);
    free(v);
}
