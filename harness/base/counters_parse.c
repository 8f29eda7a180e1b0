/* counters_parse.c: a probe's text into named counters. Lenient by design:
 * the probe is any site's command, so what is not a counter line is skipped. */
#include "base/counters.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Names as the filesystems print them: MooseFS `fuse_ops.lookup.master`,
 * Lustre `getattr`, GPFS mmpmon `_oc_`. Anything else ends the name. */
static int name_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' ||
           ch == '.' || ch == '-' || ch == '/';
}

static int blank(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r';
}

static int wanted(const char *name, size_t len, const char *const *only, int nonly)
{
    if (!only)
        return 1;
    for (int i = 0; i < nonly; i++)
        if (strlen(only[i]) == len && strncmp(only[i], name, len) == 0)
            return 1;
    return 0;
}

/* The integer at P, ending at a blank or the line's end: 1.5 (Lustre's
 * snapshot_time) and MooseFS's `[N]` (a gauge, not a count) are no counters. */
static int integer_at(const char *p, const char *end, int64_t *v)
{
    const char *q = p;
    while (q < end && *q >= '0' && *q <= '9')
        q++;
    if (q == p || (q < end && !blank(*q)))
        return 0;
    char digits[24];
    if ((size_t)(q - p) >= sizeof digits)
        return 0;
    memcpy(digits, p, (size_t)(q - p));
    digits[q - p] = '\0';
    errno = 0;
    long long x = strtoll(digits, NULL, 10);
    if (errno == ERANGE)
        return 0;
    *v = x;
    return 1;
}

static void parse_line(const char *p, const char *end, const char *const *only, int nonly, struct counters *out)
{
    while (p < end && blank(*p))
        p++;
    const char *name = p;
    while (p < end && name_char(*p))
        p++;
    size_t len = (size_t)(p - name);
    if (len == 0)
        return;
    const char *after_name = p;
    while (p < end && blank(*p))
        p++;
    if (p < end && (*p == ':' || *p == '='))
        p++;
    else if (p == after_name)
        return;   /* `NAME VALUE` needs the blank between them */
    while (p < end && blank(*p))
        p++;
    int64_t v;
    if (integer_at(p, end, &v) && wanted(name, len, only, nonly))
        counters_add(out, name, len, v);
}

void counters_parse(const char *text, const char *const *only, int nonly, struct counters *out)
{
    memset(out, 0, sizeof *out);
    for (const char *p = text; p && *p;) {
        const char *nl = strchr(p, '\n');
        const char *end = nl ? nl : p + strlen(p);
        parse_line(p, end, only, nonly, out);
        p = nl ? nl + 1 : end;
    }
}

int counters_valid_name(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n >= COUNTER_NAME_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!name_char(name[i]))
            return 0;
    return 1;
}
