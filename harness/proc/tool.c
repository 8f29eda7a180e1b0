/* tool.c: running another program as a tool of the harness's (mksquashfs,
 * unsquashfs, squashfuse, gnuplot, strace): found on PATH, its failure one line. */
#include "proc/tool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proc/reap.h"
#include "proc/spawn.h"

extern char **environ;

char *find_on_path(const char *name)
{
    if (strchr(name, '/'))
        return access(name, X_OK) == 0 ? strdup(name) : NULL;
    const char *path = getenv("PATH");
    if (!path)
        return NULL;
    char *copy = strdup(path), *save = NULL, *found = NULL;
    for (char *dir = strtok_r(copy, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
        char cand[4096];
        snprintf(cand, sizeof cand, "%s/%s", *dir ? dir : ".", name);
        if (access(cand, X_OK) == 0)
            found = strdup(cand);
    }
    free(copy);
    return found;
}

/* The Debian package of each tool, for the message when it is missing. */
const char *tool_package(const char *tool)
{
    static const char *const packages[][2] = {
        {"mksquashfs", "squashfs-tools"}, {"unsquashfs", "squashfs-tools"}, {"squashfuse", "squashfuse"},
        {"fusermount", "fuse3"},
        {"fusermount3", "fuse3"},         {"gnuplot", "gnuplot-nox"},   {"strace", "strace"},
    };
    for (size_t i = 0; i < sizeof packages / sizeof packages[0]; i++)
        if (strcmp(tool, packages[i][0]) == 0)
            return packages[i][1];
    return tool;
}

int tool_run(char *const *argv, double timeout, const char *what, int daemon, struct err *e)
{
    struct spawn_job job;
    struct child_result res;
    char *path = find_on_path(argv[0]);
    if (!path)
        return err_set(e, EXIT_SETUP, "%s: %s is not installed (Debian package %s; jobs/install-deps.sh)", what,
                       argv[0], tool_package(argv[0]));
    int argc = 0;
    while (argv[argc])
        argc++;
    char **resolved = malloc((size_t)(argc + 1) * sizeof *resolved);
    memcpy(resolved, argv, (size_t)(argc + 1) * sizeof *resolved);
    resolved[0] = path;
    if (spawn_prepare(&job, resolved, environ, 0, e) < 0) {
        free(resolved);
        free(path);
        return -1;
    }
    /* A daemon (squashfuse) must outlive the tool's run: it is no orphan
     * of ours, or the sweep of leftovers would kill it and the mount. */
    if (daemon)
        reap_set_subreaper(0);
    int rc = daemon ? spawn_run_timed(&job, timeout, &res, e) : spawn_run(&job, timeout, &res, e);
    if (daemon)
        reap_set_subreaper(1);
    if (rc == 0 && res.status != CHILD_OK) {
        char *text = spawn_stderr_line(&job, 600);
        err_set(e, EXIT_SETUP, "%s: %s %s (%s)", what, argv[0],
                res.status == CHILD_TIMEOUT ? "did not finish in time" : "failed",
                text && *text ? text : "nothing on stderr");
        free(text);
        rc = -1;
    }
    spawn_release(&job);
    free(resolved);
    free(path);
    return rc;
}
