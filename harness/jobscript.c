/* jobscript.c: the text of a generated sbatch script: the directives and
 * settings from the config, then the job sequence, the same in every job. */
#include "jobscript.h"

#include <math.h>
#include <string.h>

/* The seed's sequence, in order; a failing step marks the row with its
 * name (setup, stage, checks, reserve, run, record) and the job exits
 * with that step's status. Only shell variables vary from job to job. */
static const char body[] =
    "job_id=${SLURM_JOB_ID:-none}\n"
    "step=start\n"
    "result_id=\n"
    "if [ ! -x \"$harness\" ]; then\n"
    "    echo \"job: no harness at $harness: build it (make) or regenerate the jobs\" >&2\n"
    "    exit 4\n"
    "fi\n"
    "step_err=$(mktemp \"${TMPDIR:-/tmp}/mpi4py-import-step.XXXXXX\") || exit 4\n"
    "trap 'rm -f \"$step_err\"' EXIT\n"
    "\n"
    "# Prints the id of a newly reserved result row; returns --reserve's status.\n"
    "reserve_row() {\n"
    "    local id status\n"
    "    id=$(\"$harness\" --reserve --config \"$config\" --machine \"$machine\" --filesystem \"$filesystem\" \\\n"
    "        \"${suite_args[@]}\" --ranks \"$ranks\" 2>>\"$step_err\")\n"
    "    status=$?\n"
    "    [ \"$status\" -eq 0 ] || return \"$status\"\n"
    "    id=$(printf '%s\\n' \"$id\" | tail -n 1 | tr -d '[:space:]')\n"
    "    case $id in\n"
    "        ''|*[!0-9]*) echo \"job: --reserve printed '$id', not a row id\" >>\"$step_err\"; return 5 ;;\n"
    "    esac\n"
    "    printf '%s\\n' \"$id\"\n"
    "}\n"
    "\n"
    "# fail STATUS [WHY]: marks the row failed at $step and exits STATUS. A\n"
    "# failure before the reservation reserves a row first: every job leaves\n"
    "# its mark. WHY defaults to the harness's last error line in the step,\n"
    "# not the launcher's note that a task exited.\n"
    "fail() {\n"
    "    local status=$1 why=${2:-}\n"
    "    trap - TERM INT\n"
    "    [ \"$status\" -ne 0 ] || status=1\n"
    "    [ -n \"$why\" ] || why=$(grep '^harness: ' \"$step_err\" | tail -n 1)\n"
    "    [ -n \"$why\" ] || why=$(grep -v '^[[:space:]]*$' \"$step_err\" | tail -n 1)\n"
    "    [ -n \"$why\" ] || why=\"exit status $status\"\n"
    "    echo \"job: step $step failed (status $status): $why\" >&2\n"
    "    [ -n \"$result_id\" ] || result_id=$(reserve_row)\n"
    "    if [ -z \"$result_id\" ]; then\n"
    "        echo \"job: no result row could be reserved to record the failure\" >&2\n"
    "    elif ! \"$harness\" --mark-failed --config \"$config\" --result-id \"$result_id\" --step \"$step\" \\\n"
    "            --message \"$why\"; then\n"
    "        echo \"job: could not mark row $result_id failed at step $step\" >&2\n"
    "    fi\n"
    "    exit \"$status\"\n"
    "}\n"
    "# A signal cuts the step short: what the step wrote to stderr so far\n"
    "# (not yet shown: see run_step) still goes to the log.\n"
    "interrupted() {\n"
    "    cat \"$step_err\" >&2\n"
    "    fail \"$1\" \"$2\"\n"
    "}\n"
    "# Slurm's time limit and scancel send TERM, then KILL after KillWait.\n"
    "trap 'interrupted 143 \"terminated by a signal (time limit or scancel)\"' TERM\n"
    "trap 'interrupted 130 \"interrupted\"' INT\n"
    "\n"
    "# Each step names itself in the log, so a reader sees where a job stopped.\n"
    "begin_step() {\n"
    "    step=$1\n"
    "    echo \"job: step $step\"\n"
    "}\n"
    "\n"
    "# run_step NAME CMD...: CMD as the job step NAME; its stderr goes to the\n"
    "# job's log after it ends, and its last line names the failure. Once\n"
    "# shown it is emptied, so that a signal later shows only what is new.\n"
    "run_step() {\n"
    "    begin_step \"$1\"\n"
    "    shift\n"
    "    \"$@\" 2>\"$step_err\"\n"
    "    local status=$?\n"
    "    cat \"$step_err\" >&2\n"
    "    [ \"$status\" -eq 0 ] || fail \"$status\"\n"
    "    : >\"$step_err\"\n"
    "}\n"
    "\n"
    "# The seed's environment for the scale run: the database client's\n"
    "# settings gone and no PYTHONPATH. Rank 0 records through the config's\n"
    "# conninfo; what it cannot send is spooled for the record step.\n"
    "scale_run() (\n"
    "    for var in $(compgen -e); do\n"
    "        case $var in PG*|PYTHONPATH) unset \"$var\" ;; esac\n"
    "    done\n"
    "    exec \"${launch_all[@]}\" \"$harness\" --config \"$config\" --machine \"$machine\" \\\n"
    "        --filesystem \"$filesystem\" \"${suite_args[@]}\" --result-id \"$result_id\" --json \"$log_dir/$job_name-$job_id.json\"\n"
    ")\n"
    "\n"
    "# Old job logs go; a failure to prune them is reported, never fatal.\n"
    "prune_logs() {\n"
    "    [ \"$log_max_age_minutes\" -gt 0 ] || return 0\n"
    "    find \"$log_dir\" -maxdepth 1 -type f \\( -name 'slurm-*-mpi4py-import-*.out' \\\n"
    "        -o -name '*-mpi4py-import-*.json' \\) -mmin \"+$log_max_age_minutes\" -print -delete \\\n"
    "        | sed 's/^/job: pruned old log /' >&2\n"
    "}\n"
    "\n"
    "echo \"job: $job_name, Slurm job $job_id on $(hostname), $ranks ranks, filesystem $filesystem\"\n"
    "prune_logs\n"
    "begin_step setup\n"
    "setup_env\n"
    "if [ \"$debug\" = 1 ]; then\n"
    "    if command -v module >/dev/null 2>&1; then module list; fi\n"
    "    set -x\n"
    "fi\n"
    "# One process, without a launcher: --stage-only then needs no MPI.\n"
    "if [ \"$stage\" = 1 ]; then\n"
    "    run_step stage \"$harness\" --stage-only --config \"$config\" --machine \"$machine\" \\\n"
    "        --filesystem \"$filesystem\"\n"
    "fi\n"
    "if [ \"$checks\" = 1 ]; then\n"
    "    run_step checks \"$harness\" --checks-only --config \"$config\" --machine \"$machine\" \\\n"
    "        --filesystem \"$filesystem\" \"${suite_args[@]}\"\n"
    "fi\n"
    "begin_step reserve\n"
    ": >\"$step_err\"\n"
    "result_id=$(reserve_row)\n"
    "status=$?\n"
    "cat \"$step_err\" >&2\n"
    "if [ \"$status\" -ne 0 ]; then\n"
    "    result_id=\n"
    "    fail \"$status\"\n"
    "fi\n"
    "# srun has been seen to exit 0 when its tasks failed to launch: the run\n"
    "# counts as done only if it wrote its result.\n"
    "rm -f \"$log_dir/$job_name-$job_id.json\"\n"
    ": >\"$step_err\"\n"
    "run_step run scale_run\n"
    "if [ ! -s \"$log_dir/$job_name-$job_id.json\" ]; then\n"
    "    echo \"harness: the run ended without writing $log_dir/$job_name-$job_id.json: its launch failed\" \\\n"
    "        >\"$step_err\"\n"
    "    cat \"$step_err\" >&2\n"
    "    fail 4\n"
    "fi\n"
    "run_step record \"$harness\" --flush-spool --config \"$config\"\n"
    "echo \"job: done, result row $result_id\"\n"
    "exit 0\n";

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
    fprintf(f, "debug=%d\nstage=%d\nchecks=%d\n", m->debug ? 1 : 0, js->fs->kind == FS_STAGED,
            js->fs->kind != FS_BCAST);
    fputs(srun ? "launch_all=(srun)\n" : "launch_all=(mpirun -n \"$ranks\")\n", f);
    write_setup_env(f, m);
    fputc('\n', f);
}

int jobscript_write(FILE *f, const struct jobscript *js, struct err *e)
{
    write_directives(f, js);
    write_settings(f, js);
    fputs(body, f);
    if (ferror(f))
        return err_sys(e, EXIT_RUNTIME, "writing the job script %s", js->name);
    return 0;
}
