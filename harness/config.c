/* config.c: libconfig parsing of conf/ files into struct config, with
 * every missing or ill-typed key reported as "file:line: what". */
#include "config.h"

#include <errno.h>
#include <libconfig.h>
#include <libgen.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Without a `suites` list, the benchmark's own: numpy, as in the seed. */
#define DEFAULT_SUITE "numpy"
#define DEFAULT_IMPORT "import numpy"
#define DEFAULT_TIMEOUT 600.0

/* Everything below reports through this: the file and the setting's line. */
static int bad(struct err *e, const char *path, const config_setting_t *s, const char *fmt, const char *a,
               const char *b)
{
    int line = s ? (int)config_setting_source_line(s) : 0;
    char what[512];
    snprintf(what, sizeof what, fmt, a ? a : "", b ? b : "");
    if (line > 0)
        return err_set(e, EXIT_USAGE, "%s:%d: %s", path, line, what);
    return err_set(e, EXIT_USAGE, "%s: %s", path, what);
}

/* $VAR and ${VAR} let one config serve every user of a centre
 * ("$SCRATCH/staged-mpi4py-import"); an unset variable is an error, not "",
 * unless DEFERRED is given: then the reference stays as written and
 * *DEFERRED says so. */
static char *expand_vars(const char *in, const char *path, const config_setting_t *s, int *deferred,
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
                bad(e, path, s, "bad variable reference in '%s'", in, NULL);
                return NULL;
            }
            memcpy(name, start, n);
            name[n] = '\0';
            val = getenv(name);
            if (!val && !deferred) {
                free(out);
                bad(e, path, s, "'%s' uses $%s, which is not set in the environment", in, name);
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
static char *resolve_path(const struct config *conf, const char *raw, const config_setting_t *s, struct err *e)
{
    int deferred = 0;
    char *expanded =
        expand_vars(raw, conf->path, s, conf->flags & CONFIG_DEFER_UNSET_VARS ? &deferred : NULL, e);
    if (!expanded || deferred)
        return expanded;   /* unresolved: its directory is not known here */
    char *joined = expanded;
    if (expanded[0] != '/') {
        size_t n = strlen(conf->dir) + strlen(expanded) + 2;
        joined = malloc(n);
        snprintf(joined, n, "%s/%s", conf->dir, expanded);
        free(expanded);
    }
    /* Canonical where it exists, so reports and the module-location check
     * name one spelling of the path; not yet existing paths stay as given. */
    char *real = realpath(joined, NULL);
    if (!real)
        return joined;
    free(joined);
    return real;
}

static int get_string(const struct config *conf, const config_setting_t *grp, const char *key, int required,
                      char **out, struct err *e)
{
    config_setting_t *s = config_setting_get_member(grp, key);
    *out = NULL;
    if (!s)
        return required ? bad(e, conf->path, grp, "missing '%s'%s", key, "") : 0;
    const char *v = config_setting_get_string(s);
    if (!v)
        return bad(e, conf->path, s, "'%s' must be a string%s", key, "");
    *out = strdup(v);
    return 0;
}

static int get_path(const struct config *conf, const config_setting_t *grp, const char *key, int required,
                    char **out, struct err *e)
{
    char *raw;
    if (get_string(conf, grp, key, required, &raw, e) < 0)
        return -1;
    if (!raw)
        return 0;
    *out = resolve_path(conf, raw, config_setting_get_member(grp, key), e);
    free(raw);
    return *out ? 0 : -1;
}

static int get_number(const struct config *conf, const config_setting_t *grp, const char *key, double dflt,
                      double min, double *out, struct err *e)
{
    config_setting_t *s = config_setting_get_member(grp, key);
    *out = dflt;
    if (!s)
        return 0;
    int type = config_setting_type(s);
    if (type != CONFIG_TYPE_INT && type != CONFIG_TYPE_INT64 && type != CONFIG_TYPE_FLOAT)
        return bad(e, conf->path, s, "'%s' must be a number%s", key, "");
    *out = type == CONFIG_TYPE_FLOAT ? config_setting_get_float(s) : (double)config_setting_get_int64(s);
    if (*out < min) {
        char lim[64];
        snprintf(lim, sizeof lim, "%g", min);
        return bad(e, conf->path, s, "'%s' must be at least %s", key, lim);
    }
    return 0;
}

static int get_int(const struct config *conf, const config_setting_t *grp, const char *key, int dflt, int min,
                   int *out, struct err *e)
{
    double d;
    if (get_number(conf, grp, key, dflt, min, &d, e) < 0)
        return -1;
    if (d != (double)(int)d)
        return bad(e, conf->path, config_setting_get_member(grp, key), "'%s' must be a whole number%s", key, "");
    *out = (int)d;
    return 0;
}

/* A list of strings: ["a", "b"] or ("a", "b"). Missing: empty. */
static int get_strings(const struct config *conf, const config_setting_t *grp, const char *key, char ***out,
                       int *n, struct err *e)
{
    config_setting_t *s = config_setting_get_member(grp, key);
    *out = NULL;
    *n = 0;
    if (!s)
        return 0;
    if (!config_setting_is_aggregate(s) || config_setting_is_group(s))
        return bad(e, conf->path, s, "'%s' must be a list of strings%s", key, "");
    int count = config_setting_length(s);
    *out = calloc((size_t)count + 1, sizeof **out);
    for (int i = 0; i < count; i++) {
        const char *v = config_setting_get_string_elem(s, i);
        if (!v)
            return bad(e, conf->path, config_setting_get_elem(s, (unsigned)i), "'%s' must hold only strings%s", key,
                       "");
        (*out)[i] = strdup(v);
        (*n)++;
    }
    return 0;
}

static const config_setting_t *get_list(const struct config *conf, const config_setting_t *grp,
                                        const char *key, int required, struct err *e)
{
    const config_setting_t *s = config_setting_get_member(grp, key);
    if (!s) {
        if (required)
            bad(e, conf->path, grp, "missing '%s' (a list of groups)%s", key, "");
        return NULL;
    }
    if (!config_setting_is_list(s) && !config_setting_is_array(s)) {
        bad(e, conf->path, s, "'%s' must be a list: ( { ... }, { ... } )%s", key, "");
        return NULL;
    }
    for (int i = 0; i < config_setting_length(s); i++) {
        const config_setting_t *item = config_setting_get_elem(s, (unsigned)i);
        if (!config_setting_is_group(item)) {
            bad(e, conf->path, item, "each entry of '%s' must be a group { ... }%s", key, "");
            return NULL;
        }
    }
    return s;
}

const char *fs_kind_name(enum fs_kind kind)
{
    switch (kind) {
    case FS_INPLACE: return "inplace";
    case FS_STAGED: return "staged";
    case FS_BCAST: return "bcast";
    }
    return "?";
}

static int parse_fs(const struct config *conf, const struct machine_conf *m, const config_setting_t *g,
                    struct fs_conf *fs, struct err *e)
{
    char *kind = NULL;
    fs->line = (int)config_setting_source_line(g);
    if (get_string(conf, g, "name", 1, &fs->name, e) < 0 || get_string(conf, g, "kind", 0, &kind, e) < 0)
        return -1;
    fs->kind = FS_STAGED;
    if (kind) {
        int found = 0;
        for (enum fs_kind k = FS_INPLACE; k <= FS_BCAST; k++)
            if (strcmp(kind, fs_kind_name(k)) == 0) {
                fs->kind = k;
                found = 1;
            }
        if (!found) {
            bad(e, conf->path, config_setting_get_member(g, "kind"),
                "filesystem kind '%s' is not one of inplace, staged, bcast%s", kind, "");
            free(kind);
            return -1;
        }
        free(kind);
    }
    if (get_path(conf, g, "path", fs->kind != FS_INPLACE, &fs->path, e) < 0 ||
        get_strings(conf, g, "directives", &fs->directives, &fs->ndirectives, e) < 0)
        return -1;
    if (!fs->path)
        fs->path = strdup(m->venv);   /* in place: the source venv itself */
    return 0;
}

static int parse_size(const struct config *conf, const config_setting_t *g, struct size_conf *sz, struct err *e)
{
    sz->line = (int)config_setting_source_line(g);
    if (get_string(conf, g, "name", 1, &sz->name, e) < 0 || get_int(conf, g, "nodes", 1, 1, &sz->nodes, e) < 0 ||
        get_int(conf, g, "tasks_per_node", 0, 0, &sz->tasks_per_node, e) < 0 ||
        get_string(conf, g, "time", 0, &sz->time_limit, e) < 0)
        return -1;
    if (!sz->time_limit)
        sz->time_limit = strdup("00:40:00");
    return 0;
}

static int parse_slurm(const struct config *conf, const config_setting_t *m, struct slurm_conf *sl,
                       struct err *e)
{
    const config_setting_t *g = config_setting_get_member(m, "slurm");
    sl->log_max_age_days = 30;
    sl->line = (int)config_setting_source_line(g ? g : m);
    if (!g)
        return 0;
    if (!config_setting_is_group(g))
        return bad(e, conf->path, g, "'slurm' must be a group { ... }%s%s", "", "");
    if (get_string(conf, g, "account", 0, &sl->account, e) < 0 ||
        get_string(conf, g, "partition", 0, &sl->partition, e) < 0 ||
        get_string(conf, g, "qos", 0, &sl->qos, e) < 0 || get_string(conf, g, "license", 0, &sl->license, e) < 0 ||
        get_string(conf, g, "constraint", 0, &sl->constraint, e) < 0 ||
        get_strings(conf, g, "extra", &sl->extra, &sl->nextra, e) < 0 ||
        get_path(conf, g, "log_dir", 0, &sl->log_dir, e) < 0 ||
        get_number(conf, g, "log_max_age_days", 30, 0, &sl->log_max_age_days, e) < 0)
        return -1;
    return 0;
}

static int unique_names(const struct config *conf, const config_setting_t *list, const char *what,
                        struct err *e)
{
    int n = config_setting_length(list);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < i; j++) {
            const char *a = NULL, *b = NULL;
            config_setting_lookup_string(config_setting_get_elem(list, (unsigned)i), "name", &a);
            config_setting_lookup_string(config_setting_get_elem(list, (unsigned)j), "name", &b);
            if (a && b && strcmp(a, b) == 0)
                return bad(e, conf->path, config_setting_get_elem(list, (unsigned)i), "%s '%s' is defined twice",
                           what, a);
        }
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
static int parse_machine_suites(const struct config *conf, const config_setting_t *g, struct machine_conf *m,
                                struct err *e)
{
    if (get_strings(conf, g, "suites", &m->suites, &m->nsuites, e) < 0)
        return -1;
    const config_setting_t *s = config_setting_get_member(g, "suites");
    for (int i = 0; i < m->nsuites; i++)
        if (!config_suite(conf, m->suites[i]))
            return bad(e, conf->path, s, "suite '%s' is not defined in 'suites'%s", m->suites[i], "");
    if (s && m->nsuites == 0)
        return bad(e, conf->path, s, "'suites' is empty%s%s", "", "");
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
    if (get_string(conf, g, "name", 1, &su->name, e) < 0 || get_string(conf, g, "import", 1, &su->import_stmt, e) < 0 ||
        get_strings(conf, g, "packages", &su->packages, &su->npackages, e) < 0)
        return -1;
    if (!su->import_stmt[0])
        return bad(e, conf->path, config_setting_get_member(g, "import"), "suite '%s': 'import' is empty%s",
                   su->name, "");
    return 0;
}

static int parse_suites(struct config *conf, const config_setting_t *root, struct err *e)
{
    const config_setting_t *sl = get_list(conf, root, "suites", 0, e);
    if (e->status || (sl && unique_names(conf, sl, "suite", e) < 0))
        return -1;
    int n = sl ? config_setting_length(sl) : 0;
    conf->suites = calloc((size_t)(n ? n : 1), sizeof *conf->suites);
    for (int i = 0; i < n; i++, conf->nsuites++)
        if (parse_suite(conf, config_setting_get_elem(sl, (unsigned)i), &conf->suites[i], e) < 0) {
            conf->nsuites++;
            return -1;
        }
    if (sl && n == 0)
        return bad(e, conf->path, sl, "'suites' is empty%s%s", "", "");
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

static int parse_machine(const struct config *conf, const config_setting_t *g, struct machine_conf *m,
                         struct err *e)
{
    m->line = (int)config_setting_source_line(g);
    if (get_string(conf, g, "name", 1, &m->name, e) < 0 || get_path(conf, g, "venv", 1, &m->venv, e) < 0 ||
        get_string(conf, g, "import", 0, &m->import_stmt, e) < 0 ||
        get_number(conf, g, "timeout", DEFAULT_TIMEOUT, 0.001, &m->timeout, e) < 0 ||
        get_int(conf, g, "cores_per_node", 1, 1, &m->cores_per_node, e) < 0 ||
        get_string(conf, g, "launcher", 0, &m->launcher, e) < 0 || get_path(conf, g, "harness", 0, &m->harness, e) < 0 ||
        get_strings(conf, g, "env_setup", &m->env_setup, &m->nenv_setup, e) < 0 ||
        get_int(conf, g, "debug", 0, 0, &m->debug, e) < 0 || parse_slurm(conf, g, &m->slurm, e) < 0)
        return -1;
    if (parse_machine_suites(conf, g, m, e) < 0)
        return -1;
    if (!m->launcher)
        m->launcher = strdup("srun");
    if (strcmp(m->launcher, "srun") != 0 && strcmp(m->launcher, "mpirun") != 0)
        return bad(e, conf->path, config_setting_get_member(g, "launcher"), "launcher '%s' is not srun or mpirun%s",
                   m->launcher, "");

    const config_setting_t *fsl = get_list(conf, g, "filesystems", 1, e);
    if (!fsl || unique_names(conf, fsl, "filesystem", e) < 0)
        return -1;
    m->fs = calloc((size_t)config_setting_length(fsl) + 1, sizeof *m->fs);
    for (int i = 0; i < config_setting_length(fsl); i++, m->nfs++)
        if (parse_fs(conf, m, config_setting_get_elem(fsl, (unsigned)i), &m->fs[i], e) < 0) {
            m->nfs++;
            return -1;
        }

    const config_setting_t *szl = get_list(conf, g, "sizes", 0, e);
    if (e->status)
        return -1;
    if (!szl)
        return 0;
    if (unique_names(conf, szl, "size", e) < 0)
        return -1;
    m->sizes = calloc((size_t)config_setting_length(szl) + 1, sizeof *m->sizes);
    for (int i = 0; i < config_setting_length(szl); i++, m->nsizes++)
        if (parse_size(conf, config_setting_get_elem(szl, (unsigned)i), &m->sizes[i], e) < 0) {
            m->nsizes++;
            return -1;
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
        return bad(e, conf->path, s, "database.conninfo '%s': %s", conf->db.conninfo, msg);
    }
    int has_password = 0;
    for (const PQconninfoOption *o = opts; o->keyword; o++)
        has_password |= strcmp(o->keyword, "password") == 0 && o->val && o->val[0];
    PQconninfoFree(opts);
    if (has_password)
        return bad(e, conf->path, s, "database.conninfo holds a password: use ~/.pgpass or PGPASSFILE%s%s", "", "");
    return 0;
}

static int parse_db(struct config *conf, const config_setting_t *root, struct err *e)
{
    const config_setting_t *g = config_setting_get_member(root, "database");
    conf->db.lost_after_hours = 24;
    if (g && !config_setting_is_group(g))
        return bad(e, conf->path, g, "'database' must be a group { ... }%s%s", "", "");
    if (g && (get_string(conf, g, "conninfo", 0, &conf->db.conninfo, e) < 0 ||
              get_path(conf, g, "spool_dir", 0, &conf->db.spool_dir, e) < 0 ||
              get_number(conf, g, "lost_after_hours", 24, 0, &conf->db.lost_after_hours, e) < 0))
        return -1;
    if (g && config_setting_get_member(g, "password"))
        return bad(e, conf->path, config_setting_get_member(g, "password"),
                   "no password in the config file: use ~/.pgpass or PGPASSFILE%s%s", "", "");
    if (conf->db.conninfo && conf->db.conninfo[0] == '\0') {
        free(conf->db.conninfo);
        conf->db.conninfo = NULL;
    }
    return conf->db.conninfo ? check_conninfo(conf, g, e) : 0;
}

static int parse_root(struct config *conf, const config_setting_t *root, struct err *e)
{
    if (parse_db(conf, root, e) < 0 || parse_suites(conf, root, e) < 0)
        return -1;
    const config_setting_t *ml = get_list(conf, root, "machines", 1, e);
    if (!ml || unique_names(conf, ml, "machine", e) < 0)
        return -1;
    conf->machines = calloc((size_t)config_setting_length(ml) + 1, sizeof *conf->machines);
    for (int i = 0; i < config_setting_length(ml); i++, conf->nmachines++)
        if (parse_machine(conf, config_setting_get_elem(ml, (unsigned)i), &conf->machines[i], e) < 0) {
            conf->nmachines++;
            return -1;
        }
    if (conf->nmachines == 0)
        return bad(e, conf->path, ml, "'machines' is empty%s%s", "", "");
    return 0;
}

int config_parse(const char *text, const char *path, struct config *conf, struct err *e)
{
    return config_parse_flags(text, path, 0, conf, e);
}

int config_parse_flags(const char *text, const char *path, unsigned flags, struct config *conf, struct err *e)
{
    config_t cfg;
    char *dircopy = strdup(path);
    memset(conf, 0, sizeof *conf);
    conf->flags = flags;
    conf->path = strdup(path);
    /* Absolute, so that paths relative to the file stay right for jobs
     * started elsewhere, even where they do not exist yet. */
    char *dir = dirname(dircopy);
    conf->dir = realpath(dir, NULL);
    if (!conf->dir)
        conf->dir = strdup(dir);
    free(dircopy);

    config_init(&cfg);
    config_set_include_dir(&cfg, conf->dir);
    int rc = 0;
    if (config_read_string(&cfg, text) != CONFIG_TRUE) {
        err_set(e, EXIT_USAGE, "%s:%d: %s", path, config_error_line(&cfg), config_error_text(&cfg));
        rc = -1;
    } else {
        rc = parse_root(conf, config_root_setting(&cfg), e);
    }
    config_destroy(&cfg);
    if (rc < 0)
        config_free(conf);
    return rc;
}

char *config_slurp(const char *path, struct err *e)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        err_sys(e, EXIT_USAGE, "cannot read config %s", path);
        return NULL;
    }
    size_t cap = 8192, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        len += fread(buf + len, 1, cap - len - 1, f);
        if (len < cap - 1)
            break;
        cap *= 2;
        buf = realloc(buf, cap);
    }
    int failed = ferror(f);
    fclose(f);
    buf[len] = '\0';
    if (failed) {
        free(buf);
        err_set(e, EXIT_USAGE, "cannot read config %s: read error", path);
        return NULL;
    }
    return buf;
}

int config_load(const char *path, struct config *conf, struct err *e)
{
    return config_load_flags(path, 0, conf, e);
}

int config_load_flags(const char *path, unsigned flags, struct config *conf, struct err *e)
{
    char *text = config_slurp(path, e);
    if (!text)
        return -1;
    int rc = config_parse_flags(text, path, flags, conf, e);
    free(text);
    return rc;
}

const struct machine_conf *config_machine(const struct config *conf, const char *name, struct err *e)
{
    for (int i = 0; i < conf->nmachines; i++)
        if (strcmp(conf->machines[i].name, name) == 0)
            return &conf->machines[i];
    char known[512] = "";
    for (int i = 0; i < conf->nmachines; i++)
        snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s", i ? ", " : "", conf->machines[i].name);
    err_set(e, EXIT_USAGE, "%s: unknown machine '%s' (this file defines: %s)", conf->path, name, known);
    return NULL;
}

const struct fs_conf *config_fs(const struct config *conf, const struct machine_conf *m, const char *name,
                                struct err *e)
{
    for (int i = 0; i < m->nfs; i++)
        if (strcmp(m->fs[i].name, name) == 0)
            return &m->fs[i];
    char known[512] = "";
    for (int i = 0; i < m->nfs; i++)
        snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s", i ? ", " : "", m->fs[i].name);
    err_set(e, EXIT_USAGE, "%s:%d: machine '%s' has no filesystem '%s' (it has: %s)", conf->path, m->line, m->name,
            name, known);
    return NULL;
}

static void free_strings(char **v, int n)
{
    for (int i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static void free_machine(struct machine_conf *m)
{
    for (int i = 0; i < m->nfs; i++) {
        free(m->fs[i].name);
        free(m->fs[i].path);
        free_strings(m->fs[i].directives, m->fs[i].ndirectives);
    }
    free(m->fs);
    for (int i = 0; i < m->nsizes; i++) {
        free(m->sizes[i].name);
        free(m->sizes[i].time_limit);
    }
    free(m->sizes);
    struct slurm_conf *sl = &m->slurm;
    free(sl->account);
    free(sl->partition);
    free(sl->qos);
    free(sl->license);
    free(sl->constraint);
    free(sl->log_dir);
    free_strings(sl->extra, sl->nextra);
    free_strings(m->env_setup, m->nenv_setup);
    free(m->name);
    free(m->venv);
    free(m->import_stmt);
    free_strings(m->suites, m->nsuites);
    free(m->launcher);
    free(m->harness);
}

void config_free(struct config *conf)
{
    for (int i = 0; i < conf->nmachines; i++)
        free_machine(&conf->machines[i]);
    free(conf->machines);
    for (int i = 0; i < conf->nsuites; i++) {
        free(conf->suites[i].name);
        free(conf->suites[i].import_stmt);
        free_strings(conf->suites[i].packages, conf->suites[i].npackages);
    }
    free(conf->suites);
    free(conf->db.conninfo);
    free(conf->db.spool_dir);
    free(conf->path);
    free(conf->dir);
    memset(conf, 0, sizeof *conf);
}
