/* changepoints.c: what a change point means to a reader: the median of
 * the ok runs from the previous change to it, and from it to the next. */
#include "history/changepoints.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/utf8.h"
#include "history/otava.h"

void format_utc(double t, char *buf, size_t len)
{
    time_t s = (time_t)floor(t);
    struct tm tm;
    strftime(buf, len, "%Y-%m-%d %H:%M UTC", gmtime_r(&s, &tm));
}

static int by_index(const void *a, const void *b)
{
    const struct change *x = a, *y = b;
    return (x->index > y->index) - (x->index < y->index);
}

static void measure(struct setup *s)
{
    if (!s->nchanges)
        return;
    qsort(s->changes, (size_t)s->nchanges, sizeof *s->changes, by_index);
    for (int k = 0; k < s->nchanges; k++) {
        int from = k ? s->changes[k - 1].index : 0, at = s->changes[k].index;
        int to = k + 1 < s->nchanges ? s->changes[k + 1].index : s->nok;
        struct change *c = &s->changes[k];
        c->median_before = median_of(s->ok_y + from, at - from);
        c->median_after = median_of(s->ok_y + at, to - at);
        c->ratio = c->median_before > 0 ? c->median_after / c->median_before : NAN;
    }
}

int changes_find(struct history *h, int required, struct change_scan *scan, struct err *e)
{
    *scan = (struct change_scan){0};
    char *otava = otava_find(scan->why, sizeof scan->why);
    if (!otava) {
        if (required)
            return err_set(e, EXIT_SETUP, "--fail-on-regression: change points need otava, and there is none: %s",
                           scan->why);
        return 0;
    }
    int rc = otava_detect(otava, h, e);
    free(otava);
    if (rc < 0)
        return -1;
    for (int i = 0; i < h->n; i++)
        measure(&h->s[i]);
    scan->ran = 1;
    return 0;
}

char *setup_text_label(const struct setup *s)
{
    char label[1024];
    setup_label(s, label, sizeof label);
    return utf8_printable(label);
}

void changes_print(FILE *out, const struct history *h, const struct change_scan *scan)
{
    if (!scan->ran) {
        fprintf(out, "Change points: not looked for: otava is missing: %s\n\n", scan->why);
        return;
    }
    int n = 0;
    for (int i = 0; i < h->n; i++)
        n += h->s[i].nchanges;
    fprintf(out, "Change points (otava E-divisive, p <= 0.001, setups with %d or more ok runs): %d\n", OTAVA_MIN_RUNS,
            n);
    if (n)
        fprintf(out, "%-48s  %-20s  %9s  %9s  %6s  %8s\n", "setup", "from", "before_s", "after_s", "ratio",
                "p_value");
    for (int i = 0; i < h->n; i++)
        for (int k = 0; k < h->s[i].nchanges; k++) {
            const struct change *c = &h->s[i].changes[k];
            char when[64], *label = setup_text_label(&h->s[i]);
            format_utc(c->t, when, sizeof when);
            fprintf(out, "%-48s  %-20s  %9.3f  %9.3f  %6.2f  %8.6f\n", label, when, c->median_before,
                    c->median_after, c->ratio, c->pvalue);
            free(label);
        }
    fputc('\n', out);
}
