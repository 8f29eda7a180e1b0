/* importprof.c: parsing one child's -X importtime output into per-module
 * self and cumulative times (the gather is importprof_gather.c's). */
#include "run/importprof.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int add_entry(struct prof *p, const char *name, size_t len, double self, double cum)
{
    for (int i = 0; i < p->n; i++)
        if (strlen(p->v[i].module) == len && strncmp(p->v[i].module, name, len) == 0) {
            p->v[i].self_us += self;
            p->v[i].cumulative_us += cum;
            return 0;
        }
    if (p->n == p->cap) {
        int cap = p->cap ? p->cap * 2 : 256;
        struct prof_entry *v = realloc(p->v, (size_t)cap * sizeof *v);
        if (!v)
            return -1;
        p->v = v;
        p->cap = cap;
    }
    p->v[p->n].module = strndup(name, len);
    p->v[p->n].self_us = self;
    p->v[p->n].cumulative_us = cum;
    p->n++;
    return 0;
}

int importprof_parse(const char *text, struct prof *p)
{
    static const char tag[] = "import time:";
    memset(p, 0, sizeof *p);
    for (const char *line = text; line && *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        double self, cum;
        int name_at = 0;
        /* The header line ("self [us] | ...") does not scan as numbers. */
        if (len > sizeof tag && strncmp(line, tag, sizeof tag - 1) == 0 &&
            sscanf(line + sizeof tag - 1, " %lf | %lf | %n", &self, &cum, &name_at) == 2 && name_at > 0) {
            const char *name = line + sizeof tag - 1 + name_at;
            size_t nlen = len - (size_t)(name - line);
            while (nlen && (*name == ' '))
                name++, nlen--;
            while (nlen && (name[nlen - 1] == ' ' || name[nlen - 1] == '\r'))
                nlen--;
            if (nlen && add_entry(p, name, nlen, self, cum) < 0)
                return -1;
        }
        line = end ? end + 1 : NULL;
    }
    return 0;
}

void importprof_free(struct prof *p)
{
    for (int i = 0; i < p->n; i++)
        free(p->v[i].module);
    free(p->v);
    memset(p, 0, sizeof *p);
}
