/* slurp.c: reading a small file whole, with a hard size limit checked as
 * it is read (the size stat reports means nothing for devices and pipes). */
#include "base/slurp.h"

#include <stdio.h>
#include <stdlib.h>

char *slurp(const char *what, const char *path, size_t max, size_t *len, int status, struct err *e)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        err_sys(e, status, "cannot read %s %s", what, path);
        return NULL;
    }
    size_t cap = 8192, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        n += fread(buf + n, 1, cap - n - 1, f);
        if (n < cap - 1 || n > max)
            break;
        char *bigger = realloc(buf, cap * 2);
        if (!bigger)
            break;
        buf = bigger;
        cap *= 2;
    }
    int failed = ferror(f), too_big = n > max || (n == cap - 1 && !feof(f));
    fclose(f);
    buf[n < cap ? n : cap - 1] = '\0';
    if (failed || too_big) {
        free(buf);
        if (too_big)
            err_set(e, status, "%s %s: larger than %zu bytes: not a %s file", what, path, max, what);
        else
            err_set(e, status, "cannot read %s %s: read error", what, path);
        return NULL;
    }
    if (len)
        *len = n;
    return buf;
}
