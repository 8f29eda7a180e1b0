/* jobscript_check.c: what may go into a generated job script: values fit
 * for one #SBATCH line, set-up lines that are one line each (names are
 * checked when the config is read). A bad value is named with file and line. */
#include "jobgen/jobscript.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A value of an #SBATCH option: sbatch splits the line on white space. */
static int directive_value(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if ((unsigned char)*s <= ' ' || *s == 0x7f)
            return 0;
    return 1;
}

static int one_line(const char *s)
{
    for (; *s; s++)
        if (((unsigned char)*s < ' ' && *s != '\t') || *s == 0x7f)
            return 0;
    return 1;
}

static int check_slurm_values(const struct jobscript *js, struct err *e)
{
    const struct slurm_conf *sl = &js->m->slurm;
    const struct {
        const char *key, *value;
        int line;
    } values[] = {
        {"time", js->size->time_limit, js->size->line}, {"slurm account", sl->account, sl->line},
        {"slurm partition", sl->partition, sl->line},   {"slurm qos", sl->qos, sl->line},
        {"slurm license", sl->license, sl->line},       {"slurm constraint", sl->constraint, sl->line},
    };
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++)
        if (values[i].value && !directive_value(values[i].value))
            return err_set(e, EXIT_USAGE,
                           "%s:%d: machine '%s': %s '%s' cannot go on an #SBATCH line (empty, white space or "
                           "control characters)",
                           js->conf->path, values[i].line, js->m->name, values[i].key, values[i].value);
    return 0;
}

/* Verbatim lines above the script's first command: each must be a
 * comment (#SBATCH, #DW, ...), or sbatch stops reading directives there. */
static int check_directive_lines(const struct jobscript *js, char **lines, int n, const char *key, int line,
                                 struct err *e)
{
    for (int i = 0; i < n; i++)
        if (lines[i][0] != '#' || !one_line(lines[i]))
            return err_set(e, EXIT_USAGE,
                           "%s:%d: machine '%s': %s line '%s' must be one line starting with '#' (#SBATCH, #DW, "
                           "...): anything else ends the job's directives",
                           js->conf->path, line, js->m->name, key, lines[i]);
    return 0;
}

static int check_lines(const struct jobscript *js, struct err *e)
{
    const struct machine_conf *m = js->m;
    if (check_directive_lines(js, m->slurm.extra, m->slurm.nextra, "slurm extra", m->slurm.line, e) < 0 ||
        check_directive_lines(js, js->fs->directives, js->fs->ndirectives, "filesystem directives", js->fs->line,
                              e) < 0)
        return -1;
    for (int i = 0; i < m->nenv_setup; i++)
        if (!one_line(m->env_setup[i]) || !m->env_setup[i][0])
            return err_set(e, EXIT_USAGE, "%s:%d: machine '%s': env_setup entry %d must be one non-empty line",
                           js->conf->path, m->line, m->name, i + 1);
    for (int i = 0; i < m->nlauncher_args; i++)
        if (!one_line(m->launcher_args[i]) || !m->launcher_args[i][0])
            return err_set(e, EXIT_USAGE, "%s:%d: machine '%s': launcher_args entry %d must be one non-empty line",
                           js->conf->path, m->line, m->name, i + 1);
    return 0;
}

/* Paths the script uses as they are. IN_DIRECTIVE: also on an #SBATCH
 * line, where sbatch expands no variables and '%' and '\\' belong to its
 * file name patterns (white space and quotes are quoted for it). */
static int check_fixed_path(const struct jobscript *js, const char *key, const char *path, int line,
                            int in_directive, struct err *e)
{
    if (path[0] != '/' || strchr(path, '$') || !one_line(path))
        return err_set(e, EXIT_USAGE,
                       "%s:%d: machine '%s': %s '%s' must be an absolute path, one line, with its variables set "
                       "when the jobs are written",
                       js->conf->path, line, js->m->name, key, path);
    if (in_directive && path[strcspn(path, "%\\")])
        return err_set(e, EXIT_USAGE,
                       "%s:%d: machine '%s': %s '%s' cannot hold '%%' or '\\' (sbatch's file name patterns)",
                       js->conf->path, line, js->m->name, key, path);
    return 0;
}

/* Jobs are written where they run, from its checkout: a harness missing
 * here would fail every job before it could leave a mark. */
static int check_harness(const struct jobscript *js, struct err *e)
{
    struct stat st;
    if (check_fixed_path(js, "harness", js->harness, js->m->line, 0, e) < 0)
        return -1;
    if (stat(js->harness, &st) < 0)
        return err_sys(e, EXIT_USAGE, "%s:%d: machine '%s': harness %s (build it with make)", js->conf->path,
                       js->m->line, js->m->name, js->harness);
    if (!S_ISREG(st.st_mode) || access(js->harness, X_OK) < 0)
        return err_set(e, EXIT_USAGE, "%s:%d: machine '%s': harness %s is not an executable file", js->conf->path,
                       js->m->line, js->m->name, js->harness);
    return 0;
}

int jobscript_init(struct jobscript *js, const struct config *conf, const char *config_path, const char *harness,
                   const struct machine_conf *m, const struct fs_conf *fs, const struct size_conf *size,
                   const char *suite, int suffixed, struct err *e)
{
    *js = (struct jobscript){.conf = conf, .config_path = config_path, .harness = harness, .m = m, .fs = fs,
                             .size = size, .suite = suite, .log_dir = m->slurm.log_dir};
    js->tasks_per_node = size->tasks_per_node > 0 ? size->tasks_per_node : m->cores_per_node;
    snprintf(js->name, sizeof js->name, "%s-mpi4py-import-%d-%s%s%s", m->name, size->nodes, fs->name,
             suffixed ? "-" : "", suffixed ? suite : "");
    if (!m->slurm.log_dir)
        return err_set(e, EXIT_USAGE, "%s:%d: machine '%s': --gen-jobs needs slurm { log_dir = \"...\"; }",
                       conf->path, m->slurm.line, m->name);
    if (check_slurm_values(js, e) < 0 || check_lines(js, e) < 0 ||
        check_fixed_path(js, "slurm log_dir", m->slurm.log_dir, m->slurm.line, 1, e) < 0 || check_harness(js, e) < 0)
        return -1;
    if (!one_line(config_path))
        return err_set(e, EXIT_USAGE, "config path '%s' cannot go into a job script: it spans lines", config_path);
    return 0;
}
