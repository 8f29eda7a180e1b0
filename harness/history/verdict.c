/* verdict.c: the verdict's content, and its text: each filesystem's
 * current median is measured on the runs the gate calls the current level,
 * so a ranking never mixes a setup's old level into what holds now. */
#include "history/verdict.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/utf8.h"
#include "fs/fs_kind.h"

/* How well S stands for "the shared filesystem's in-place import": an
 * in-place kind (one that needs no path: the venv where it was built)
 * named common (the seed's), any in-place one, then a filesystem named
 * common whose rows carry no kind. 0: not at all. */
static int reference_score(const struct setup *s)
{
    const struct fs_kind *k = fs_kind_find(s->kind);
    int inplace = k && !k->path_required, common = !strcmp(s->filesystem, "common");
    return inplace ? 2 + common : common && !s->kind[0];
}

static const struct gate_row *row_of(const struct gate *g, int setup)
{
    for (int i = 0; i < g->n; i++)
        if (g->rows[i].setup == setup)
            return &g->rows[i];
    return NULL;
}

static struct ranking *group_of(struct verdict *v, const struct setup *s)
{
    for (int i = 0; i < v->n; i++)
        if (v->r[i].ranks == s->ranks && !strcmp(v->r[i].machine, s->machine) && !strcmp(v->r[i].suite, s->suite))
            return &v->r[i];
    v->r = realloc(v->r, (size_t)(v->n + 1) * sizeof *v->r);
    struct ranking *r = &v->r[v->n++];
    *r = (struct ranking){.machine = s->machine, .suite = s->suite, .ranks = s->ranks, .ref = -1,
                          .e = malloc((size_t)(v->h->n + 1) * sizeof *r->e)};
    return r;
}

static int by_median(const void *a, const void *b)
{
    const struct ranked *x = a, *y = b;
    return (x->median > y->median) - (x->median < y->median);
}

static int by_group(const void *a, const void *b)
{
    const struct ranking *x = a, *y = b;
    int c = strcmp(x->machine, y->machine);
    if (!c)
        c = strcmp(x->suite, y->suite);
    return c ? c : (x->ranks > y->ranks) - (x->ranks < y->ranks);
}

static void finish_group(const struct history *h, struct ranking *r)
{
    int best = 0;
    double ref = NAN;
    for (int k = 0; k < r->n; k++) {
        int score = reference_score(&h->s[r->e[k].setup]);
        if (score > best)
            best = score, r->ref = r->e[k].setup, ref = r->e[k].median;
    }
    for (int k = 0; k < r->n; k++)
        r->e[k].ratio = ref > 0 ? r->e[k].median / ref : NAN;
    if (r->n)
        qsort(r->e, (size_t)r->n, sizeof *r->e, by_median);
}

void verdict_build(const struct history *h, const struct gate *g, const struct change_scan *scan, struct verdict *v)
{
    *v = (struct verdict){.h = h, .g = g, .scan = scan};
    for (int i = 0; i < h->n; i++) {
        const struct gate_row *row = row_of(g, i);
        if (!row)
            continue;
        const struct setup *s = &h->s[i];
        struct ranking *r = group_of(v, s);
        int n = row->now.to - row->now.from;
        r->e[r->n++] = (struct ranked){i, median_of(s->ok_first + row->now.from, n), NAN, n};
    }
    for (int i = 0; i < v->n; i++)
        finish_group(h, &v->r[i]);
    if (v->n)
        qsort(v->r, (size_t)v->n, sizeof *v->r, by_group);
}

void verdict_free(struct verdict *v)
{
    for (int i = 0; i < v->n; i++)
        free(v->r[i].e);
    free(v->r);
    *v = (struct verdict){0};
}

int setup_failures(const struct setup *s, int count[4], double *latest)
{
    memset(count, 0, 4 * sizeof *count);
    *latest = 0;
    for (int i = 0; i < s->nruns; i++) {
        count[s->runs[i].state]++;
        if (s->runs[i].state != RUN_OK)
            *latest = s->runs[i].t;
    }
    return count[RUN_FAILED] + count[RUN_TIMEOUT] + count[RUN_LOST];
}

static void regressions_text(FILE *out, const struct verdict *v)
{
    if (!v->scan->ran) {
        fprintf(out, "  Regressions: not judged: otava is missing: %s\n", v->scan->why);
        return;
    }
    fprintf(out, "  Regressions (current level against its baseline, more than %.2fx): %d\n", v->g->ratio,
            v->g->regressions);
    for (int i = 0; i < v->g->n; i++) {
        const struct gate_row *r = &v->g->rows[i];
        if (!r->regression)
            continue;
        char now[64], *label = setup_text_label(&v->h->s[r->setup]);
        format_utc(r->now.t0, now, sizeof now);
        fprintf(out, "    %s: %.2fx slower: %.3f s since %s against %.3f s (%s)\n", label, r->ratio, r->now.median,
                now, r->base.median, baseline_what(r->kind));
        free(label);
    }
}

static void ranking_text(FILE *out, const struct verdict *v)
{
    fputs("  Fastest first: current median time to first import (staging + import), and its ratio to the "
          "in-place import\n", out);
    for (int i = 0; i < v->n; i++) {
        const struct ranking *r = &v->r[i];
        char *m = utf8_printable(r->machine), *su = utf8_printable(r->suite);
        fprintf(out, "    %s at %d ranks, %s:\n", m, r->ranks, su);
        free(m);
        free(su);
        for (int k = 0; k < r->n; k++) {
            const struct setup *s = &v->h->s[r->e[k].setup];
            char *fs = utf8_printable(s->filesystem), *kind = utf8_printable(s->kind[0] ? s->kind : "?");
            fprintf(out, "      %d. %-16s %-8s %9.3f s", k + 1, fs, kind, r->e[k].median);
            if (r->ref >= 0) {
                char *ref = utf8_printable(v->h->s[r->ref].filesystem);
                fprintf(out, "  %.2fx %s", r->e[k].ratio, ref);
                free(ref);
            }
            fputc('\n', out);
            free(fs);
            free(kind);
        }
    }
}

static void failures_text(FILE *out, const struct verdict *v, const char *window)
{
    int any = 0, count[4];
    double latest;
    for (int i = 0; i < v->h->n; i++) {
        const struct setup *s = &v->h->s[i];
        if (!setup_failures(s, count, &latest))
            continue;
        if (!any++)
            fprintf(out, "  Runs that failed, timed out or were lost, %s:\n", window);
        char when[64], *label = setup_text_label(s);
        format_utc(latest, when, sizeof when);
        fprintf(out, "    %s: %d failed, %d timed out, %d lost (latest %s)\n", label, count[RUN_FAILED],
                count[RUN_TIMEOUT], count[RUN_LOST], when);
        free(label);
    }
    if (!any)
        fprintf(out, "  Runs that failed, timed out or were lost, %s: none\n", window);
}

void verdict_text(FILE *out, const struct verdict *v, const char *window)
{
    fprintf(out, "Verdict, %s\n", window);
    regressions_text(out, v);
    ranking_text(out, v);
    failures_text(out, v, window);
    fputc('\n', out);
}
