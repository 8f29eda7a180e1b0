/* err.c: formatting of the error context carried up to main.
 * Only main.c prints; everything below it fills a struct err. */
#include "base/err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int err_vset(struct err *e, int status, int with_errno, const char *fmt, va_list ap)
{
    int saved = errno;
    if (e->status != 0)
        return -1;
    e->status = status;
    int n = vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    if (with_errno && n >= 0 && (size_t)n < sizeof e->msg)
        snprintf(e->msg + n, sizeof e->msg - (size_t)n, ": %s", strerror(saved));
    errno = saved;
    return -1;
}

int err_set(struct err *e, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err_vset(e, status, 0, fmt, ap);
    va_end(ap);
    return -1;
}

int err_sys(struct err *e, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err_vset(e, status, 1, fmt, ap);
    va_end(ap);
    return -1;
}

int err_wrap(struct err *e, const char *fmt, ...)
{
    char prefix[512], old[sizeof e->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, e->msg, sizeof old);
    size_t n = strlen(prefix);
    if (n >= sizeof e->msg)
        n = sizeof e->msg - 1;
    memcpy(e->msg, prefix, n);
    /* The end of an over-long message is lost, never the context. */
    memcpy(e->msg + n, old, sizeof e->msg - n - 1);
    e->msg[sizeof e->msg - 1] = '\0';
    return -1;
}
