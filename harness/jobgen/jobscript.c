/* jobscript.c: the text of a generated sbatch script: the directives and
 * settings from the config, then the job sequence, the same in every job. */
#include "jobgen/jobscript.h"

#include <math.h>
#include <string.h>

/* The job's body (jobs/job-body.sh, where shellcheck and readers see it),
 * embedded by the build as the string job_body. */
#include "job_body.h"

/* Single quotes keep everything literal; a quote inside becomes '\''. */
static void sh_quote(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; *s; s++) {
        if (*s == '\'')
            fputs("'\\''", f);
        else
            fputc(*s, f);
    }
    fputc('\'', f);
}

static void assign(FILE *f, const char *var, const char *value)
{
    fprintf(f, "%s=", var);
    sh_quote(f, value);
    fputc('\n', f);
}

static void directive(FILE *f, const char *option, const char *value)
{
    if (value)
        fprintf(f, "#SBATCH --%s=%s\n", option, value);
}

/* sbatch reads a directive's value as a word of its own syntax: white
 * space ends it, quotes pair and vanish, '#' starts a comment. A path
 * holding any of them goes in double quotes, a '"' escaped ('\\' cannot
 * occur: jobscript_check.c refuses it, as sbatch's file name patterns use it). */
static void directive_path(FILE *f, const char *option, const char *path, const char *suffix)
{
    if (!path[strcspn(path, " \t\"'#")]) {
        fprintf(f, "#SBATCH --%s=%s%s\n", option, path, suffix);
        return;
    }
    fprintf(f, "#SBATCH --%s=\"", option);
    for (const char *s = path; *s; s++) {
        if (*s == '"')
            fputc('\\', f);
        fputc(*s, f);
    }
    fprintf(f, "%s\"\n", suffix);
}

static void write_directives(FILE *f, const struct jobscript *js)
{
    const struct slurm_conf *sl = &js->m->slurm;
    fputs("#!/bin/bash\n", f);
    directive(f, "job-name", js->name);
    fprintf(f, "#SBATCH --nodes=%d\n#SBATCH --ntasks-per-node=%d\n", js->size->nodes, js->tasks_per_node);
    directive(f, "time", js->size->time_limit);
    char log_name[600];
    snprintf(log_name, sizeof log_name, "/slurm-%s-%%j.out", js->name);
    directive_path(f, "output", js->log_dir, log_name);
    directive(f, "account", sl->account);
    directive(f, "partition", sl->partition);
    directive(f, "qos", sl->qos);
    directive(f, "licenses", sl->license);
    directive(f, "constraint", sl->constraint);
    for (int i = 0; i < sl->nextra; i++)
        fprintf(f, "%s\n", sl->extra[i]);
    for (int i = 0; i < js->fs->ndirectives; i++)
        fprintf(f, "%s\n", js->fs->directives[i]);
}

/* The config's set-up lines, each checked on its own: a `module load`
 * that fails ends the job at step setup, naming the line. */
static void write_setup_env(FILE *f, const struct machine_conf *m)
{
    fputs("setup_env() {\n", f);
    for (int i = 0; i < m->nenv_setup; i++) {
        fprintf(f, "    %s\n    status=$?\n    [ \"$status\" -eq 0 ] || fail \"$status\" ", m->env_setup[i]);
        char why[1100];
        snprintf(why, sizeof why, "env_setup line %d failed: %s", i + 1, m->env_setup[i]);
        sh_quote(f, why);
        fputc('\n', f);
    }
    fputs("    :\n}\n", f);
}

static void write_settings(FILE *f, const struct jobscript *js)
{
    const struct machine_conf *m = js->m;
    int srun = strcmp(m->launcher, "srun") == 0;
    char num[32];
    fprintf(f,
            "#\n%s machine=%s filesystem=%s size=%s nodes=%d ranks=%d\n"
            "# Written by `harness --gen-jobs` from the config below: edit the config and\n"
            "# regenerate rather than this file. jobs/cron-submit.sh submits it.\n\n",
            JOBSCRIPT_MARKER, m->name, js->fs->name, js->size->name, js->size->nodes,
            js->size->nodes * js->tasks_per_node);
    assign(f, "harness", js->harness);
    assign(f, "config", js->config_path);
    assign(f, "machine", m->name);
    assign(f, "filesystem", js->fs->name);
    assign(f, "job_name", js->name);
    if (js->suite) {
        assign(f, "suite", js->suite);
        fputs("suite_args=(--suite \"$suite\")\n", f);
    } else {
        fputs("suite_args=()\n", f);
    }
    snprintf(num, sizeof num, "%d", js->size->nodes * js->tasks_per_node);
    assign(f, "ranks", num);
    assign(f, "log_dir", js->log_dir);
    snprintf(num, sizeof num, "%.0f", ceil(m->slurm.log_max_age_days * 24 * 60));
    assign(f, "log_max_age_minutes", num);
    const struct fs_kind *k = js->fs->kind;
    fprintf(f, "debug=%d\nstage=%d\nchecks=%d\n", m->debug ? 1 : 0, k->ops.stage != NULL, k->checks_step);
    /* --kill-on-bad-exit: a rank that dies (inside MPI_Init above all)
     * ends the step instead of leaving the others waiting for it. */
    fputs(srun ? "launch_all=(srun --kill-on-bad-exit=1" : "launch_all=(mpirun -n \"$ranks\"", f);
    /* The launcher's own options (an MPI's PMI, a binding), each one word. */
    for (int i = 0; i < m->nlauncher_args; i++) {
        fputc(' ', f);
        sh_quote(f, m->launcher_args[i]);
    }
    fputs(")\n", f);
    write_setup_env(f, m);
    fputc('\n', f);
}

int jobscript_write(FILE *f, const struct jobscript *js, struct err *e)
{
    write_directives(f, js);
    write_settings(f, js);
    fputs(job_body, f);
    if (ferror(f))
        return err_sys(e, EXIT_RUNTIME, "writing the job script %s", js->name);
    return 0;
}
