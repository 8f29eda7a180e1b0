/* config_sections.c: the config's sections beside machines and their
 * filesystems: job sizes and Slurm settings, import suites, the database. */
#include "config/config_parse.h"

#include <libpq-fe.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Each default once: a section left out gets the same as a key left out. */
#define DEFAULT_TIME_LIMIT "00:40:00"
#define DEFAULT_LOG_MAX_AGE_DAYS 30
#define DEFAULT_LOST_AFTER_HOURS 24
/* Long enough for any of the harness's statements on a busy server; short
 * enough that a job whose database hangs still spools its result in time. */
#define DEFAULT_STATEMENT_TIMEOUT 30
#define MAX_STATEMENT_TIMEOUT 86400

/* Five days of a run every 6 hours: enough runs that one slow run does
 * not move a median, few enough to be the level of now. */
#define DEFAULT_LEVEL_RUNS 20
#define LEVEL_RUNS_MAX 100000

/* Ten years of hours: a row reserved longer ago is lost whatever the setting. */
#define LOST_AFTER_HOURS_MAX 87600.0

static const char *const slurm_keys[] = {"account", "partition", "qos", "license", "constraint", "extra",
                                         "log_dir", "log_max_age_days", NULL};
static const char *const size_keys[] = {"name", "nodes", "tasks_per_node", "time", NULL};
static const char *const suite_keys[] = {"name", "import", "packages", NULL};
static const char *const report_keys[] = {"level_runs", NULL};
static const char *const db_keys[] = {"conninfo", "spool_dir", "lost_after_hours", "statement_timeout", NULL};

/* A size's ranks (nodes x tasks, or x the machine's cores) fill an int. */
int cfg_parse_size(const struct config *conf, const config_setting_t *g, int cores_per_node, struct size_conf *sz,
                   struct err *e)
{
    sz->line = (int)config_setting_source_line(g);
    if (cfg_name(conf, g, "size", &sz->name, e) < 0 || cfg_known_keys(conf, g, "a size", size_keys, e) < 0 ||
        cfg_int(conf, g, "nodes", 1, 1, NODES_MAX, &sz->nodes, e) < 0 ||
        cfg_int(conf, g, "tasks_per_node", 0, 0, CORES_MAX, &sz->tasks_per_node, e) < 0 ||
        cfg_string(conf, g, "time", 0, &sz->time_limit, e) < 0)
        return -1;
    long long ranks = (long long)sz->nodes * (sz->tasks_per_node > 0 ? sz->tasks_per_node : cores_per_node);
    if (ranks > INT_MAX)
        return cfg_bad(e, conf->path, g, "size '%s': %lld ranks (nodes x tasks per node) is more than %d", sz->name,
                       ranks, INT_MAX);
    if (!sz->time_limit)
        sz->time_limit = strdup(DEFAULT_TIME_LIMIT);
    return 0;
}

int cfg_parse_slurm(const struct config *conf, const config_setting_t *m, struct slurm_conf *sl,
                    struct err *e)
{
    const config_setting_t *g = config_setting_get_member(m, "slurm");
    sl->log_max_age_days = DEFAULT_LOG_MAX_AGE_DAYS;
    sl->line = (int)config_setting_source_line(g ? g : m);
    if (!g)
        return 0;
    if (!config_setting_is_group(g))
        return cfg_bad(e, conf->path, g, "'slurm' must be a group { ... }");
    if (cfg_known_keys(conf, g, "slurm", slurm_keys, e) < 0 || cfg_string(conf, g, "account", 0, &sl->account, e) < 0 ||
        cfg_string(conf, g, "partition", 0, &sl->partition, e) < 0 ||
        cfg_string(conf, g, "qos", 0, &sl->qos, e) < 0 || cfg_string(conf, g, "license", 0, &sl->license, e) < 0 ||
        cfg_string(conf, g, "constraint", 0, &sl->constraint, e) < 0 ||
        cfg_strings(conf, g, "extra", &sl->extra, &sl->nextra, e) < 0 ||
        cfg_path(conf, g, "log_dir", 0, &sl->log_dir, e) < 0 ||
        cfg_number(conf, g, "log_max_age_days", DEFAULT_LOG_MAX_AGE_DAYS, 0, DAYS_MAX, &sl->log_max_age_days, e) < 0)
        return -1;
    return 0;
}

const struct suite_conf *config_suite(const struct config *conf, const char *name)
{
    for (int i = 0; i < conf->nsuites; i++)
        if (strcmp(conf->suites[i].name, name) == 0)
            return &conf->suites[i];
    return NULL;
}

/* The machine's `suites`: names of the file's suites; default the first. */
int cfg_parse_machine_suites(const struct config *conf, const config_setting_t *g, struct machine_conf *m,
                             struct err *e)
{
    if (cfg_strings(conf, g, "suites", &m->suites, &m->nsuites, e) < 0)
        return -1;
    const config_setting_t *s = config_setting_get_member(g, "suites");
    for (int i = 0; i < m->nsuites; i++)
        if (!config_suite(conf, m->suites[i]))
            return cfg_bad(e, conf->path, s, "suite '%s' is not defined in 'suites'", m->suites[i]);
    if (s && m->nsuites == 0)
        return cfg_bad(e, conf->path, s, "'suites' is empty");
    if (m->nsuites == 0) {
        m->suites = calloc(2, sizeof *m->suites);
        m->suites[0] = strdup(conf->suites[0].name);
        m->nsuites = 1;
    }
    return 0;
}

static int parse_suite(const struct config *conf, const config_setting_t *g, struct suite_conf *su, struct err *e)
{
    su->line = (int)config_setting_source_line(g);
    if (cfg_name(conf, g, "suite", &su->name, e) < 0 || cfg_known_keys(conf, g, "a suite", suite_keys, e) < 0 ||
        cfg_string(conf, g, "import", 1, &su->import_stmt, e) < 0 ||
        cfg_strings(conf, g, "packages", &su->packages, &su->npackages, e) < 0)
        return -1;
    if (!su->import_stmt[0])
        return cfg_bad(e, conf->path, config_setting_get_member(g, "import"), "suite '%s': 'import' is empty",
                   su->name);
    return 0;
}

int cfg_parse_suites(struct config *conf, const config_setting_t *root, struct err *e)
{
    const config_setting_t *sl = cfg_list(conf, root, "suites", 0, e);
    if (e->status || (sl && cfg_unique_names(conf, sl, "suite", e) < 0))
        return -1;
    int n = sl ? config_setting_length(sl) : 0;
    conf->suites = calloc((size_t)(n ? n : 1), sizeof *conf->suites);
    for (int i = 0; i < n; i++, conf->nsuites++)
        if (parse_suite(conf, config_setting_get_elem(sl, (unsigned)i), &conf->suites[i], e) < 0) {
            conf->nsuites++;
            return -1;
        }
    if (sl && n == 0)
        return cfg_bad(e, conf->path, sl, "'suites' is empty");
    if (n == 0) {
        struct suite_conf *su = &conf->suites[conf->nsuites++];
        su->name = strdup(DEFAULT_SUITE);
        su->import_stmt = strdup(DEFAULT_IMPORT);
        su->packages = calloc(2, sizeof *su->packages);
        su->packages[0] = strdup("numpy");
        su->npackages = 1;
    }
    return 0;
}

/* The conninfo is part of the file: no password in it either. A malformed
 * one is reported here, with its line, rather than by the first job. */
static int check_conninfo(const struct config *conf, const config_setting_t *g, struct err *e)
{
    const config_setting_t *s = config_setting_get_member(g, "conninfo");
    char *why = NULL;
    PQconninfoOption *opts = PQconninfoParse(conf->db.conninfo, &why);
    if (!opts) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", why ? why : "out of memory");
        msg[strcspn(msg, "\n")] = '\0';
        PQfreemem(why);
        return cfg_bad(e, conf->path, s, "database.conninfo '%s': %s", conf->db.conninfo, msg);
    }
    int has_password = 0;
    for (const PQconninfoOption *o = opts; o->keyword; o++)
        has_password |= strcmp(o->keyword, "password") == 0 && o->val && o->val[0];
    PQconninfoFree(opts);
    if (has_password)
        return cfg_bad(e, conf->path, s, "database.conninfo holds a password: use ~/.pgpass or PGPASSFILE");
    return 0;
}

int cfg_parse_db(struct config *conf, const config_setting_t *root, struct err *e)
{
    const config_setting_t *g = config_setting_get_member(root, "database");
    conf->db.lost_after_hours = DEFAULT_LOST_AFTER_HOURS;
    conf->db.statement_timeout = DEFAULT_STATEMENT_TIMEOUT;
    if (g && !config_setting_is_group(g))
        return cfg_bad(e, conf->path, g, "'database' must be a group { ... }");
    if (g && (cfg_string(conf, g, "conninfo", 0, &conf->db.conninfo, e) < 0 ||
              cfg_path(conf, g, "spool_dir", 0, &conf->db.spool_dir, e) < 0 ||
              cfg_number(conf, g, "lost_after_hours", DEFAULT_LOST_AFTER_HOURS, 0, LOST_AFTER_HOURS_MAX,
                         &conf->db.lost_after_hours, e) < 0 ||
              cfg_number(conf, g, "statement_timeout", DEFAULT_STATEMENT_TIMEOUT, 1, MAX_STATEMENT_TIMEOUT,
                         &conf->db.statement_timeout, e) < 0))
        return -1;
    if (g && config_setting_get_member(g, "password"))
        return cfg_bad(e, conf->path, config_setting_get_member(g, "password"),
                   "no password in the config file: use ~/.pgpass or PGPASSFILE");
    if (cfg_known_keys(conf, g, "database", db_keys, e) < 0)
        return -1;
    if (conf->db.conninfo && conf->db.conninfo[0] == '\0') {
        free(conf->db.conninfo);
        conf->db.conninfo = NULL;
    }
    return conf->db.conninfo ? check_conninfo(conf, g, e) : 0;
}

int cfg_parse_report(struct config *conf, const config_setting_t *root, struct err *e)
{
    const config_setting_t *g = config_setting_get_member(root, "report");
    conf->report.level_runs = DEFAULT_LEVEL_RUNS;
    if (!g)
        return 0;
    if (!config_setting_is_group(g))
        return cfg_bad(e, conf->path, g, "'report' must be a group { ... }");
    if (cfg_known_keys(conf, g, "report", report_keys, e) < 0)
        return -1;
    return cfg_int(conf, g, "level_runs", DEFAULT_LEVEL_RUNS, 1, LEVEL_RUNS_MAX, &conf->report.level_runs, e);
}

/* A stage of a minute on a loaded node is not stuck; one of an hour is. */
#define DEFAULT_LOCK_TIMEOUT 300.0
#define MAX_LOCK_TIMEOUT 86400.0

static int lock_timeout(const struct config *conf, const config_setting_t *g, double dflt, double *out,
                        struct err *e)
{
    return cfg_number(conf, g, "lock_timeout", dflt, 0, MAX_LOCK_TIMEOUT, out, e);
}

/* The staged path goes into bin/activate, activate.csh and .fish, and #!
 * lines, each quoted for its shell (stage_fixup.c); a control character
 * (a newline above all) cannot be written into any of them safely. An
 * empty path, or one holding this file, would stage (and --delete) over
 * the config itself. */
static int check_target_path(const struct config *conf, const config_setting_t *g, const struct fs_conf *fs,
                             struct err *e)
{
    const config_setting_t *s = config_setting_get_member(g, "path");
    const char *raw = s ? config_setting_get_string(s) : NULL;
    if (raw && raw[strspn(raw, " \t")] == '\0')
        return cfg_bad(e, conf->path, s, "filesystem '%s': 'path' is empty: a %s filesystem needs a directory of its own",
                       fs->name, fs->kind->name);
    for (const unsigned char *p = (const unsigned char *)fs->path; *p; p++)
        if (*p < 0x20 || *p == 0x7f) {
            char byte[8];
            snprintf(byte, sizeof byte, "0x%02x", *p);
            return cfg_bad(e, conf->path, s, "filesystem '%s': 'path' holds a control character (%s): it cannot be "
                           "written into bin/activate or a #! line", fs->name, byte);
        }
    /* Compared as resolved (where it exists), like the file's directory. */
    char *real = realpath(fs->path, NULL);
    const char *path = real ? real : fs->path;
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/')
        n--;
    int holds_conf = path[0] == '/' && strncmp(conf->dir, path, n) == 0 &&
                     (conf->dir[n] == '\0' || conf->dir[n] == '/' || n == 1);
    free(real);
    if (holds_conf)
        return cfg_bad(e, conf->path, s, "filesystem '%s': 'path' %s holds this config file: staging there "
                       "would write (and --delete remove) beside it", fs->name, fs->path);
    return 0;
}

/* The path as written, not resolved: a symlink in it is the stager's to
 * judge (stage_open_target), not to be followed here unchecked. */
static int unresolved_path(const struct config *conf, const config_setting_t *g, struct fs_conf *fs, struct err *e)
{
    const config_setting_t *s = config_setting_get_member(g, "path");
    const char *raw = s ? config_setting_get_string(s) : NULL;
    char *joined = raw ? cfg_join_path(conf, raw, s, e) : NULL;
    if (!joined)
        return raw ? -1 : 0;
    free(fs->path);
    fs->path = joined;
    return 0;
}

int cfg_parse_staging(const struct config *conf, const config_setting_t *mg, const config_setting_t *g,
                      struct fs_conf *fs, struct err *e)
{
    double dflt;
    if (lock_timeout(conf, mg, DEFAULT_LOCK_TIMEOUT, &dflt, e) < 0 ||
        lock_timeout(conf, g, dflt, &fs->lock_timeout, e) < 0)
        return -1;
    /* A kind without a place of its own (in place) uses the venv's. */
    if (!fs->kind->path_required)
        return 0;
    return unresolved_path(conf, g, fs, e) < 0 ? -1 : check_target_path(conf, g, fs, e);
}
