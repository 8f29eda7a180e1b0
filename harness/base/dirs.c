/* dirs.c: mkdir -p for the harness's own output directories; shared by
 * the spool, the report and the job scripts so all fail the same way;
 * and a path made absolute, for what opens directories from /. */
#include "base/dirs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int make_dirs(const char *dir, struct err *e)
{
    if (!dir[0])
        return err_set(e, EXIT_USAGE, "an empty directory name");
    char *p = strdup(dir);
    int rc = 0;
    for (char *s = p + 1; rc == 0; s++) {
        char c = *s;
        if (c != '/' && c != '\0')
            continue;
        *s = '\0';
        if (mkdir(p, 0777) < 0 && errno != EEXIST)
            rc = err_sys(e, EXIT_RUNTIME, "cannot create directory %s", p);
        *s = c;
        if (c == '\0')
            break;
    }
    free(p);
    /* mkdir's EEXIST also covers a file of that name: say so here, not at
     * the first write into it. */
    struct stat st;
    if (rc == 0 && (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)))
        rc = err_set(e, EXIT_RUNTIME, "%s is not a directory", dir);
    return rc;
}

char *absolute_path(const char *path)
{
    char cwd[4096];
    if (path[0] == '/' || !getcwd(cwd, sizeof cwd))
        return strdup(path);
    size_t n = strlen(cwd) + strlen(path) + 2;
    char *abs = malloc(n);
    snprintf(abs, n, "%s/%s", cwd, path);
    return abs;
}
