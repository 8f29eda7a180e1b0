/* config_probe.c: a filesystem's server-load probe (probe, probe_scope,
 * probe_counters, probe_timeout), read and checked with the file's lines. */
#include <stdlib.h>
#include <string.h>

#include "base/counters.h"
#include "config/config_parse.h"

/* A probe reads a few counters; one that hangs must not hold the job. */
#define DEFAULT_PROBE_TIMEOUT 30.0
#define MAX_PROBE_TIMEOUT 3600.0

static const char *const scope_words[] = {"node", "job", NULL};

static int parse_scope(const struct config *conf, const config_setting_t *g, struct fs_conf *fs, struct err *e)
{
    char *v = NULL, words[64];
    if (cfg_string(conf, g, "probe_scope", 0, &v, e) < 0)
        return -1;
    if (!v)
        return 0;
    int i = opt_word_index(scope_words, v);
    if (i < 0)
        cfg_bad(e, conf->path, config_setting_get_member(g, "probe_scope"),
                "filesystem '%s': probe_scope '%s' is not one of %s", fs->name, v,
                opt_words_list(scope_words, words, sizeof words));
    free(v);
    fs->probe.scope = i == 1 ? PROBE_JOB : PROBE_NODE;
    return i < 0 ? -1 : 0;
}

/* Each name must be one the probe's output can hold, at most once, and
 * no more of them than a reading keeps. */
static int parse_counters(const struct config *conf, const config_setting_t *g, struct fs_conf *fs, struct err *e)
{
    struct probe_conf *p = &fs->probe;
    const config_setting_t *s = config_setting_get_member(g, "probe_counters");
    if (cfg_strings(conf, g, "probe_counters", &p->counters, &p->ncounters, e) < 0)
        return -1;
    if (s && p->ncounters == 0)
        return cfg_bad(e, conf->path, s, "filesystem '%s': 'probe_counters' is empty (leave it out to sum every "
                       "counter)", fs->name);
    if (p->ncounters > COUNTERS_MAX)
        return cfg_bad(e, conf->path, s, "filesystem '%s': 'probe_counters' names %d counters, at most %d are kept",
                       fs->name, p->ncounters, COUNTERS_MAX);
    for (int i = 0; i < p->ncounters; i++) {
        const config_setting_t *item = config_setting_get_elem(s, (unsigned)i);
        if (!counters_valid_name(p->counters[i]))
            return cfg_bad(e, conf->path, item, "filesystem '%s': probe counter '%s' is not a counter name (letters, "
                           "digits, '_', '.', '-', '/'; fewer than %d bytes)", fs->name, p->counters[i],
                           COUNTER_NAME_MAX);
        for (int j = 0; j < i; j++)
            if (strcmp(p->counters[i], p->counters[j]) == 0)
                return cfg_bad(e, conf->path, item, "filesystem '%s': probe counter '%s' is listed twice", fs->name,
                               p->counters[i]);
    }
    return 0;
}

/* A probe's settings without the probe say nothing: a typo of `probe`. */
static int orphan_setting(const struct config *conf, const config_setting_t *g, const struct fs_conf *fs,
                          struct err *e)
{
    static const char *const keys[] = {"probe_scope", "probe_counters", "probe_timeout", NULL};
    for (int i = 0; keys[i]; i++) {
        const config_setting_t *s = config_setting_get_member(g, keys[i]);
        if (s)
            return cfg_bad(e, conf->path, s, "filesystem '%s': '%s' is set but 'probe' is not", fs->name, keys[i]);
    }
    return 0;
}

int cfg_parse_probe(const struct config *conf, const config_setting_t *g, struct fs_conf *fs, struct err *e)
{
    struct probe_conf *p = &fs->probe;
    p->timeout = DEFAULT_PROBE_TIMEOUT;
    if (cfg_string(conf, g, "probe", 0, &p->command, e) < 0)
        return -1;
    if (!p->command)
        return orphan_setting(conf, g, fs, e);
    if (p->command[strspn(p->command, " \t")] == '\0')
        return cfg_bad(e, conf->path, config_setting_get_member(g, "probe"),
                       "filesystem '%s': 'probe' is empty: a shell command that prints counters, or leave it out",
                       fs->name);
    return parse_scope(conf, g, fs, e) < 0 || parse_counters(conf, g, fs, e) < 0 ||
                   cfg_number(conf, g, "probe_timeout", DEFAULT_PROBE_TIMEOUT, 0.001, MAX_PROBE_TIMEOUT,
                              &p->timeout, e) < 0
               ? -1
               : 0;
}

void cfg_free_probe(struct fs_conf *fs)
{
    free(fs->probe.command);
    cfg_free_strings(fs->probe.counters, fs->probe.ncounters);
    memset(&fs->probe, 0, sizeof fs->probe);
}
