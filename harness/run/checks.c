/* checks.c: the single-process set-up checks. The probe reports as JSON
 * what python saw; json-c reads it, so no output format is improvised. */
#include "run/checks.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "proc/spawn.h"

/* Runs the statement, then reports where each top-level module it names
 * was found. Names come from the statement's syntax tree, not from text.
 * The standard library is left out: a `venv --copies` holds only the
 * interpreter, and its stdlib stays with the base installation.
 * Its stdout carries two JSON lines, the interpreter before the statement
 * runs and the report after; what the statement itself prints (print, a C
 * extension's write) goes to stderr, so it cannot spoil them. A first line
 * without a second: the statement ended the process (a crash, os._exit). */
static const char probe_src[] =
    "import ast, json, os, sys\n"
    "stmt = sys.argv[1]\n"
    "report = os.fdopen(os.dup(1), 'w')\n"
    "sys.stdout.flush()\n"
    "os.dup2(2, 1)\n"
    "out = {'executable': sys.executable, 'version': sys.version.split()[0], 'modules': {}, 'error': None}\n"
    "report.write(json.dumps(out) + '\\n')\n"
    "report.flush()\n"
    "try:\n"
    "    exec(compile(stmt, '<import>', 'exec'), {})\n"
    "except SystemExit as exc:\n"
    "    if exc.code not in (None, 0):\n"
    "        out['error'] = 'SystemExit: %s' % (exc.code,)\n"
    "except BaseException as exc:\n"
    "    out['error'] = '%s: %s' % (type(exc).__name__, exc)\n"
    "names = []\n"
    "for node in ast.walk(ast.parse(stmt)):\n"
    "    if isinstance(node, ast.Import):\n"
    "        names += [a.name.split('.')[0] for a in node.names]\n"
    "    elif isinstance(node, ast.ImportFrom) and node.module and not node.level:\n"
    "        names.append(node.module.split('.')[0])\n"
    "stdlib = getattr(sys, 'stdlib_module_names', ())\n"
    "for name in dict.fromkeys(names):\n"
    "    mod = sys.modules.get(name)\n"
    "    if mod is not None and name not in stdlib:\n"
    "        out['modules'][name] = getattr(mod, '__file__', None)\n"
    "np = sys.modules.get('numpy')\n"
    "out['numpy_version'] = getattr(np, '__version__', None)\n"
    "report.write(json.dumps(out) + '\\n')\n"
    "report.flush()\n";

static void copy_str(char *dst, size_t n, json_object *obj, const char *key)
{
    json_object *v;
    dst[0] = '\0';
    if (json_object_object_get_ex(obj, key, &v) && json_object_is_type(v, json_type_string))
        snprintf(dst, n, "%s", json_object_get_string(v));
}

static int under(const char *file, const char *dir)
{
    char rf[PATH_MAX], rd[PATH_MAX];
    if (!realpath(file, rf) || !realpath(dir, rd))
        return 0;
    size_t n = strlen(rd);
    return strncmp(rf, rd, n) == 0 && rf[n] == '/';
}

/* Each module the statement names must come from the venv under test:
 * a stray PYTHONPATH or user site would measure another filesystem. */
static int check_modules(json_object *mods, const char *venv, struct setup_info *s, struct err *e)
{
    json_object_object_foreach(mods, name, file)
    {
        const char *path = json_object_is_type(file, json_type_string) ? json_object_get_string(file) : NULL;
        snprintf(s->modules + strlen(s->modules), sizeof s->modules - strlen(s->modules), "%s%s=%s",
                 s->modules[0] ? ";" : "", name, path ? path : "(built in)");
        if (path && !under(path, venv))
            return err_set(e, EXIT_SETUP,
                           "module %s resolves to %s, outside the virtualenv being measured (%s): "
                           "check PYTHONPATH and the user site directory",
                           name, path, venv);
    }
    return 0;
}

/* How a child ended, for messages: "exit 3" or "signal 11 (Segmentation fault)". */
static void how_it_ended(const struct child_result *res, char *buf, size_t n)
{
    if (res->signal)
        snprintf(buf, n, "signal %d (%s)", res->signal, strsignal(res->signal));
    else
        snprintf(buf, n, "exit %d", res->exit_code);
}

/* The probe's stdout: the first JSON line (the interpreter) into *HEAD,
 * the second (the report) into *REPORT; either may be NULL. */
static void read_report(const char *out, json_object **head, json_object **report)
{
    const char *nl = strchr(out, '\n');
    *head = *report = NULL;
    if (!nl)
        return;
    char *first = strndup(out, (size_t)(nl - out));
    *head = json_tokener_parse(first);
    free(first);
    if (nl[1])
        *report = json_tokener_parse(nl + 1);
}

/* The probe gave no report: python did not start, or the statement ended
 * it (a crash, os._exit) after it started. Only the former is a set-up
 * fault; the latter is the import failing, recorded like an exception. */
static int no_report(const struct child_cmd *cmd, const struct child_result *res, json_object *head,
                     const char *errtail, double timeout, struct setup_info *s, struct err *e)
{
    char how[160];
    how_it_ended(res, how, sizeof how);
    snprintf(s->python, sizeof s->python, "%s", cmd->python);
    if (res->status == CHILD_TIMEOUT) {
        /* A hang is what the timed phase is there to record, not a set-up fault. */
        snprintf(s->import_error, sizeof s->import_error, "the set-up import timed out after %g s", timeout);
        return 0;
    }
    if (!head)
        return err_set(e, EXIT_SETUP, "%s does not run (%s): %s", cmd->python, how, errtail);
    copy_str(s->python, sizeof s->python, head, "executable");
    copy_str(s->python_version, sizeof s->python_version, head, "version");
    if (res->signal)
        snprintf(s->import_error, sizeof s->import_error, "the statement killed python: %s", how);
    else
        snprintf(s->import_error, sizeof s->import_error,
                 "the statement ended python (%s, as os._exit does) before the check could see its modules", how);
    return 0;
}

static int probe(const struct child_cmd *cmd, const char *venv, const char *stmt, double timeout,
                 struct setup_info *s, struct err *e)
{
    char *argv[] = {cmd->python, "-c", (char *)probe_src, (char *)stmt, NULL};
    struct spawn_job job;
    struct child_result res;
    if (spawn_prepare(&job, argv, cmd->envp, 1, e) < 0)
        return -1;
    int rc = spawn_run(&job, timeout, &res, e);
    s->leftover_descendants += res.leftover;
    char *out = rc == 0 ? spawn_captured(job.out_fd, 1 << 20) : NULL;
    char *errtail = rc == 0 ? spawn_stderr(&job, 400) : NULL;
    spawn_release(&job);
    json_object *head = NULL, *obj = NULL;
    if (out)
        read_report(out, &head, &obj);
    if (rc == 0 && !obj)
        rc = no_report(cmd, &res, head, errtail, timeout, s, e);
    json_object_put(head);
    if (obj) {
        json_object *mods = NULL;
        copy_str(s->python, sizeof s->python, obj, "executable");
        copy_str(s->python_version, sizeof s->python_version, obj, "version");
        copy_str(s->numpy_version, sizeof s->numpy_version, obj, "numpy_version");
        copy_str(s->import_error, sizeof s->import_error, obj, "error");
        if (json_object_object_get_ex(obj, "modules", &mods))
            rc = check_modules(mods, venv, s, e);
        json_object_put(obj);
    }
    free(out);
    free(errtail);
    return rc;
}

int checks_run(const struct child_cmd *cmd, const char *venv, const char *stmt, double timeout,
               struct setup_info *s, FILE *log, struct err *e)
{
    memset(s, 0, sizeof *s);
    if (probe(cmd, venv, stmt, timeout, s, e) < 0)
        return -1;
    s->checked = 1;
    int hung = s->python_version[0] == '\0';
    if (log) {
        fprintf(log, "check: python %s (%s)\n", s->python, s->python_version);
        fprintf(log, "check: modules %s\n", s->modules[0] ? s->modules : "(none found)");
        if (s->import_error[0])
            fprintf(log, "check: the import fails: %s\n", s->import_error);
    }

    if (hung) {
        snprintf(s->meta.reason, sizeof s->meta.reason, "%s", s->import_error);
        return 0;
    }

    /* Warm-up, as the seed found necessary: one process writes the
     * bytecode, so thousands of ranks do not race to create .pyc files. */
    struct spawn_job job;
    struct child_result res;
    char *const *argv = cmd->argv_import;
    if (spawn_prepare(&job, argv, cmd->envp, 0, e) < 0)
        return -1;
    int rc = spawn_run(&job, timeout, &res, e);
    spawn_release(&job);
    if (rc < 0)
        return -1;
    s->leftover_descendants += res.leftover;
    s->warmup_s = res.seconds;
    if (log)
        fprintf(log, "check: warm-up import %.3f s (%s)\n", res.seconds,
                res.status == CHILD_OK ? "ok, bytecode written" : "failed");

    s->leftover_descendants += metaops_count(argv, cmd->envp, timeout, &s->meta);
    if (log && s->leftover_descendants)
        fprintf(log, "check: %d processes the checks' children left running were killed\n", s->leftover_descendants);
    if (log) {
        if (s->meta.available)
            fprintf(log, "check: one import makes %ld metadata calls, %ld ENOENT\n", s->meta.total, s->meta.enoent);
        else
            fprintf(log, "check: metadata calls not counted: %s\n", s->meta.reason);
    }
    return 0;
}
