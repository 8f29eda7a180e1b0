/* childenv.c: builds, once and before any clock starts, the argv and
 * environment every rank passes to posix_spawn. */
#include "run/childenv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

static char *join(const char *a, const char *b, const char *c)
{
    size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
    char *s = malloc(n);
    snprintf(s, n, "%s%s%s", a, b, c);
    return s;
}

static int starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* What activate does, less the shell: VIRTUAL_ENV set, bin first on PATH,
 * PYTHONHOME gone (it would point the interpreter elsewhere). Bytecode is
 * the harness's business, not the caller's: PYTHONDONTWRITEBYTECODE would
 * stop the warm-up writing it (every rank then compiles from source), and
 * PYTHONPYCACHEPREFIX would keep it on another filesystem than the one
 * measured. */
static char **venv_environ(const char *venv)
{
    size_t n = 0;
    while (environ[n])
        n++;
    char **env = calloc(n + 3, sizeof *env);
    size_t k = 0;
    const char *path = getenv("PATH");
    for (size_t i = 0; i < n; i++) {
        if (starts_with(environ[i], "VIRTUAL_ENV=") || starts_with(environ[i], "PATH=") ||
            starts_with(environ[i], "PYTHONHOME=") || starts_with(environ[i], "PYTHONDONTWRITEBYTECODE=") ||
            starts_with(environ[i], "PYTHONPYCACHEPREFIX="))
            continue;
        env[k++] = strdup(environ[i]);
    }
    env[k++] = join("VIRTUAL_ENV=", venv, "");
    char *bin = join(venv, "/bin", path ? ":" : "");
    env[k++] = join("PATH=", bin, path ? path : "");
    free(bin);
    env[k] = NULL;
    return env;
}

int child_cmd_init(struct child_cmd *c, const char *venv, const char *stmt, const char *override, struct err *e)
{
    memset(c, 0, sizeof *c);
    c->python = join(venv, "/bin/python", "");
    if (access(c->python, X_OK) != 0) {
        err_sys(e, EXIT_SETUP, "no python at %s", c->python);
        child_cmd_free(c);
        return -1;
    }
    c->envp = venv_environ(venv);
    if (override) {
        c->argv_import[0] = strdup(override);
    } else {
        c->argv_import[0] = strdup(c->python);
        c->argv_import[1] = strdup("-c");
        c->argv_import[2] = strdup(stmt);
    }
    c->argv_profile[0] = strdup(c->python);
    c->argv_profile[1] = strdup("-X");
    c->argv_profile[2] = strdup("importtime");
    c->argv_profile[3] = strdup("-c");
    c->argv_profile[4] = strdup(stmt);
    c->argv_startup[0] = strdup(c->python);
    c->argv_startup[1] = strdup("-c");
    c->argv_startup[2] = strdup("pass");
    return 0;
}

void child_cmd_add_env(struct child_cmd *c, const char *name, const char *value)
{
    size_t n = 0;
    while (c->envp[n])
        n++;
    c->envp = realloc(c->envp, (n + 2) * sizeof *c->envp);
    c->envp[n] = join(name, "=", value);
    c->envp[n + 1] = NULL;
}

void child_cmd_free(struct child_cmd *c)
{
    for (int i = 0; i < 3; i++) {
        free(c->argv_import[i]);
        free(c->argv_startup[i]);
    }
    for (int i = 0; i < 5; i++)
        free(c->argv_profile[i]);
    if (c->envp)
        for (char **p = c->envp; *p; p++)
            free(*p);
    free(c->envp);
    free(c->python);
    memset(c, 0, sizeof *c);
}
