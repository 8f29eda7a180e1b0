/* beside_exe.c: build/harness and build/asan/harness both find the
 * checkout's sql/ and build/tools-venv/ this way, as an installed one does. */
#include "base/beside_exe.h"

#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

char *beside_exe(const char *rel, int mode, char *dir, size_t len)
{
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    snprintf(dir, len, "?");
    if (n < 0)
        return NULL;
    exe[n] = '\0';
    snprintf(dir, len, "%s", dirname(exe));
    static const char *const ups[] = {"", "/..", "/../.."};
    for (size_t i = 0; i < sizeof ups / sizeof ups[0]; i++) {
        char cand[4400];
        snprintf(cand, sizeof cand, "%s%s/%s", dir, ups[i], rel);
        if (access(cand, mode) == 0)
            return realpath(cand, NULL);
    }
    return NULL;
}
