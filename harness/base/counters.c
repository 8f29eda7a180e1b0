/* counters.c: arithmetic on named counters: adding by name, the difference
 * of two readings (with resets), sums across nodes and the total. */
#include "base/counters.h"

#include <string.h>

static int64_t sat_add(int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_add_overflow(a, b, &r))
        return b > 0 ? INT64_MAX : INT64_MIN;
    return r;
}

static int32_t max32(int32_t a, int32_t b)
{
    return a > b ? a : b;
}

static struct counter *find_len(struct counters *s, const char *name, size_t len)
{
    for (int i = 0; i < s->n; i++)
        if (strncmp(s->c[i].name, name, len) == 0 && s->c[i].name[len] == '\0')
            return &s->c[i];
    return NULL;
}

/* NAME's entry, made when new; NULL (and counted as dropped) when it cannot be. */
static struct counter *entry(struct counters *s, const char *name, size_t len)
{
    struct counter *c = find_len(s, name, len);
    if (c)
        return c;
    if (len == 0 || len >= COUNTER_NAME_MAX || s->n == COUNTERS_MAX) {
        s->dropped++;
        return NULL;
    }
    c = &s->c[s->n++];
    memset(c, 0, sizeof *c);
    memcpy(c->name, name, len);
    return c;
}

void counters_add(struct counters *s, const char *name, size_t len, int64_t v)
{
    struct counter *c = entry(s, name, len);
    if (c)
        c->value = sat_add(c->value, v);
}

const struct counter *counters_find(const struct counters *s, const char *name)
{
    return find_len((struct counters *)s, name, strlen(name));
}

void counters_add_delta(struct counters *acc, const struct counters *before, const struct counters *after)
{
    for (int i = 0; i < after->n; i++) {
        const struct counter *a = &after->c[i], *b = counters_find(before, a->name);
        struct counter *c = entry(acc, a->name, strlen(a->name));
        if (!c)
            continue;
        int64_t was = b ? b->value : 0;
        if (a->value < was)
            c->reset = 1;
        else
            c->value = sat_add(c->value, a->value - was);
    }
    acc->dropped = max32(acc->dropped, max32(before->dropped, after->dropped));
}

void counters_merge(struct counters *acc, const struct counters *add)
{
    for (int i = 0; i < add->n; i++) {
        struct counter *c = entry(acc, add->c[i].name, strlen(add->c[i].name));
        if (!c)
            continue;
        c->value = sat_add(c->value, add->c[i].value);
        c->reset |= add->c[i].reset;
    }
    /* Nodes of one filesystem print the same names: they drop the same ones. */
    acc->dropped = max32(acc->dropped, add->dropped);
}

int64_t counters_total(const struct counters *s)
{
    int64_t t = 0;
    for (int i = 0; i < s->n; i++)
        if (!s->c[i].reset)
            t = sat_add(t, s->c[i].value);
    return t;
}
