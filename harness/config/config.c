/* config.c: libconfig parsing of conf/ files into struct config, with
 * every missing or ill-typed key reported as "file:line: what". */
#include "config/config.h"
#include "config/config_parse.h"
#include "base/slurp.h"

#include <errno.h>
#include <libconfig.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_TIMEOUT 600.0

/* A filesystem's keys every kind shares; its kind's own are in its table. */
static const char *const fs_keys[] = {"name",  "kind",        "path",           "directives",    "lock_timeout",
                                      "probe", "probe_scope", "probe_counters", "probe_timeout", NULL};
static const char *const machine_keys[] = {"name", "venv", "import", "suites", "timeout", "cores_per_node",
                                           "launcher", "launcher_args", "harness", "env_setup", "debug", "slurm", "filesystems",
                                           "sizes", "lock_timeout", NULL};
static const char *const root_keys[] = {"database", "report", "suites", "machines", NULL};

static int parse_fs(const struct config *conf, const struct machine_conf *m, const config_setting_t *mg,
                    const config_setting_t *g, struct fs_conf *fs, struct err *e)
{
    char *kind = NULL, names[256];
    fs->line = (int)config_setting_source_line(g);
    if (cfg_name(conf, g, "filesystem", &fs->name, e) < 0 || cfg_fs_known_keys(conf, g, fs_keys, e) < 0 ||
        cfg_string(conf, g, "kind", 0, &kind, e) < 0)
        return -1;
    /* Without `kind`, the table's default (the seed's way: staged before the run). */
    fs->kind = fs_kind_find(kind);
    if (!fs->kind) {
        cfg_bad(e, conf->path, config_setting_get_member(g, "kind"), "filesystem kind '%s' is not one of %s", kind ? kind : "",
                fs_kind_names(names, sizeof names));
        free(kind);
        return -1;
    }
    free(kind);
    if (cfg_path(conf, g, "path", fs->kind->path_required, &fs->path, e) < 0 ||
        cfg_strings(conf, g, "directives", &fs->directives, &fs->ndirectives, e) < 0 ||
        cfg_parse_staging(conf, mg, g, fs, e) < 0 || cfg_parse_probe(conf, g, fs, e) < 0 ||
        cfg_parse_kind_opts(conf, g, fs, e) < 0)
        return -1;
    if (!fs->path)
        fs->path = strdup(m->venv);   /* in place: the source venv itself */
    return 0;
}

static int parse_machine(const struct config *conf, const config_setting_t *g, struct machine_conf *m,
                         struct err *e)
{
    m->line = (int)config_setting_source_line(g);
    if (cfg_name(conf, g, "machine", &m->name, e) < 0 || cfg_known_keys(conf, g, "a machine", machine_keys, e) < 0 ||
        cfg_path(conf, g, "venv", 1, &m->venv, e) < 0 || cfg_string(conf, g, "import", 0, &m->import_stmt, e) < 0 ||
        cfg_number(conf, g, "timeout", DEFAULT_TIMEOUT, 0.001, TIMEOUT_MAX_S, &m->timeout, e) < 0 ||
        cfg_int(conf, g, "cores_per_node", 1, 1, CORES_MAX, &m->cores_per_node, e) < 0 ||
        cfg_string(conf, g, "launcher", 0, &m->launcher, e) < 0 ||
        cfg_strings(conf, g, "launcher_args", &m->launcher_args, &m->nlauncher_args, e) < 0 ||
        cfg_path(conf, g, "harness", 0, &m->harness, e) < 0 ||
        cfg_strings(conf, g, "env_setup", &m->env_setup, &m->nenv_setup, e) < 0 ||
        cfg_int(conf, g, "debug", 0, 0, 1, &m->debug, e) < 0 || cfg_parse_slurm(conf, g, &m->slurm, e) < 0)
        return -1;
    if (cfg_parse_machine_suites(conf, g, m, e) < 0)
        return -1;
    if (!m->launcher)
        m->launcher = strdup("srun");
    if (strcmp(m->launcher, "srun") != 0 && strcmp(m->launcher, "mpirun") != 0)
        return cfg_bad(e, conf->path, config_setting_get_member(g, "launcher"), "launcher '%s' is not srun or mpirun",
                   m->launcher);

    const config_setting_t *fsl = cfg_list(conf, g, "filesystems", 1, e);
    if (!fsl || cfg_unique_names(conf, fsl, "filesystem", e) < 0)
        return -1;
    m->fs = calloc((size_t)config_setting_length(fsl) + 1, sizeof *m->fs);
    for (int i = 0; i < config_setting_length(fsl); i++, m->nfs++)
        if (parse_fs(conf, m, g, config_setting_get_elem(fsl, (unsigned)i), &m->fs[i], e) < 0) {
            m->nfs++;
            return -1;
        }

    const config_setting_t *szl = cfg_list(conf, g, "sizes", 0, e);
    if (e->status)
        return -1;
    if (!szl)
        return 0;
    if (cfg_unique_names(conf, szl, "size", e) < 0)
        return -1;
    m->sizes = calloc((size_t)config_setting_length(szl) + 1, sizeof *m->sizes);
    for (int i = 0; i < config_setting_length(szl); i++, m->nsizes++)
        if (cfg_parse_size(conf, config_setting_get_elem(szl, (unsigned)i), m->cores_per_node, &m->sizes[i], e) < 0) {
            m->nsizes++;
            return -1;
        }
    return 0;
}

static int parse_root(struct config *conf, const config_setting_t *root, struct err *e)
{
    if (cfg_known_keys(conf, root, "the file's top level", root_keys, e) < 0 || cfg_parse_db(conf, root, e) < 0 ||
        cfg_parse_report(conf, root, e) < 0 || cfg_parse_suites(conf, root, e) < 0)
        return -1;
    const config_setting_t *ml = cfg_list(conf, root, "machines", 1, e);
    if (!ml || cfg_unique_names(conf, ml, "machine", e) < 0)
        return -1;
    conf->machines = calloc((size_t)config_setting_length(ml) + 1, sizeof *conf->machines);
    for (int i = 0; i < config_setting_length(ml); i++, conf->nmachines++)
        if (parse_machine(conf, config_setting_get_elem(ml, (unsigned)i), &conf->machines[i], e) < 0) {
            conf->nmachines++;
            return -1;
        }
    if (conf->nmachines == 0)
        return cfg_bad(e, conf->path, ml, "'machines' is empty");
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
    return slurp("config", path, CONFIG_MAX_BYTES, NULL, EXIT_USAGE, e);
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

static void free_machine(struct machine_conf *m)
{
    for (int i = 0; i < m->nfs; i++) {
        free(m->fs[i].name);
        free(m->fs[i].path);
        cfg_free_kind_opts(&m->fs[i]);
        cfg_free_probe(&m->fs[i]);
        cfg_free_strings(m->fs[i].directives, m->fs[i].ndirectives);
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
    cfg_free_strings(sl->extra, sl->nextra);
    cfg_free_strings(m->env_setup, m->nenv_setup);
    free(m->name);
    free(m->venv);
    free(m->import_stmt);
    cfg_free_strings(m->suites, m->nsuites);
    free(m->launcher);
    cfg_free_strings(m->launcher_args, m->nlauncher_args);
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
        cfg_free_strings(conf->suites[i].packages, conf->suites[i].npackages);
    }
    free(conf->suites);
    free(conf->db.conninfo);
    free(conf->db.spool_dir);
    free(conf->path);
    free(conf->dir);
    memset(conf, 0, sizeof *conf);
}
