/* test_counters.c: a probe's text as MooseFS, Lustre and garbage print it,
 * the difference of two readings and the sum over nodes. */
#include <stdlib.h>

#include "../check.h"
#include "base/counters.h"

static int64_t value(const struct counters *s, const char *name)
{
    const struct counter *c = counters_find(s, name);
    return c ? c->value : -1;
}

/* As mfsmount's stats.c prints .stats: `fullname: N`, gauges as `[N]`. */
static void moosefs(void)
{
    struct counters s;
    counters_parse("fuse_ops: 3739\n"
                   "fuse_ops.lookup: 2906\n"
                   "fuse_ops.lookup.master: 2906\n"
                   "fuse_ops.getattr: 639\n"
                   "fuse_ops.open: 96\n"
                   "master.packets_sent: 3380\n"
                   "fuse_ops.lookup.cached: 0\n"
                   "master.connections: [1]\n",
                   NULL, 0, &s);
    CHECK(s.n == 7);
    CHECK(value(&s, "fuse_ops.lookup.master") == 2906);
    CHECK(value(&s, "master.packets_sent") == 3380);
    CHECK(value(&s, "fuse_ops.lookup.cached") == 0);
    CHECK(value(&s, "master.connections") == -1);   /* a gauge, not a count */
    CHECK(s.dropped == 0);

    const char *only[] = {"fuse_ops.lookup.master", "fuse_ops.getattr", "fuse_ops.open"};
    counters_parse("fuse_ops: 3739\nfuse_ops.lookup.master: 2906\nfuse_ops.getattr: 639\nfuse_ops.open: 96\n", only,
                   3, &s);
    CHECK(s.n == 3);
    CHECK(counters_total(&s) == 2906 + 639 + 96);
}

/* lctl get_param mdc.*.md_stats, two MDTs: the names repeat and are summed;
 * snapshot_time's fraction is no counter, nor the `=` header line. */
static void lustre(void)
{
    struct counters s;
    counters_parse("mdc.scratch-MDT0000-mdc-ffff8d.md_stats=\n"
                   "snapshot_time             1409334367.476229 secs.usecs\n"
                   "close                     96 samples [reqs]\n"
                   "getattr                   639 samples [reqs]\n"
                   "mdc.scratch-MDT0001-mdc-ffff8d.md_stats=\n"
                   "snapshot_time             1409334367.476301 secs.usecs\n"
                   "getattr                   11 samples [reqs] 1 2 3\n"
                   "intent_lock               2906 samples [reqs]\n",
                   NULL, 0, &s);
    CHECK(s.n == 3);
    CHECK(value(&s, "getattr") == 650);
    CHECK(value(&s, "close") == 96);
    CHECK(value(&s, "intent_lock") == 2906);
    CHECK(value(&s, "snapshot_time") == -1);
}

static void forms(void)
{
    struct counters s;
    counters_parse("a=1\r\nb 2\nc:3\n  d  :  4  \ne\t5\nf:\n:7\ng h 8\nbad line\n=9\n", NULL, 0, &s);
    CHECK(s.n == 5);
    CHECK(counters_total(&s) == 15);
    CHECK(value(&s, "e") == 5);
    counters_parse("last 42", NULL, 0, &s);
    CHECK(value(&s, "last") == 42);
}

static void garbage(void)
{
    struct counters s;
    counters_parse("", NULL, 0, &s);
    CHECK(s.n == 0);
    counters_parse(NULL, NULL, 0, &s);
    CHECK(s.n == 0);
    /* Too large, negative, binary, a fraction: skipped, never a crash. */
    counters_parse("big: 99999999999999999999999\nneg: -5\nfrac: 1.5\n\x01\x02\xff: 3\nhex: 0x10\n", NULL, 0, &s);
    CHECK(s.n == 0);
    /* Saturating: two near-maximal values of one name. */
    counters_parse("x: 9223372036854775807\nx: 9223372036854775807\n", NULL, 0, &s);
    CHECK(value(&s, "x") == INT64_MAX);

    /* Past the cap, and a name too long: counted as dropped. */
    size_t cap = 100 * 16 + 200;
    char *text = malloc(cap), *p = text;
    for (int i = 0; i < COUNTERS_MAX + 10; i++)
        p += sprintf(p, "c%d: %d\n", i, i);
    p += sprintf(p, "%0*d: 1\n", COUNTER_NAME_MAX + 5, 7);
    counters_parse(text, NULL, 0, &s);
    CHECK(s.n == COUNTERS_MAX);
    CHECK(s.dropped == 11);
    CHECK(value(&s, "c0") == 0 && value(&s, "c63") == 63 && value(&s, "c64") == -1);
    free(text);
}

/* Two readings of one node over two repeats; a counter that went backwards. */
static void deltas(void)
{
    struct counters before, after, acc = {0};
    counters_parse("lookup: 100\ngetattr: 50\nopen: 7\n", NULL, 0, &before);
    counters_parse("lookup: 130\ngetattr: 40\nopen: 9\nnew: 5\n", NULL, 0, &after);
    counters_add_delta(&acc, &before, &after);
    CHECK(value(&acc, "lookup") == 30);
    CHECK(value(&acc, "open") == 2);
    CHECK(value(&acc, "new") == 5);
    CHECK(counters_find(&acc, "getattr")->reset == 1);
    CHECK(counters_total(&acc) == 37);   /* the reset counter is left out */
    counters_add_delta(&acc, &after, &after);
    CHECK(counters_total(&acc) == 37);
}

/* Rank 0's sum over node leaders: by name, whatever order each printed. */
static void node_sum(void)
{
    struct counters n1 = {0}, n2 = {0}, n3 = {0}, sum = {0};
    counters_add(&n1, "lookup", 6, 10);
    counters_add(&n1, "open", 4, 1);
    counters_add(&n2, "open", 4, 2);
    counters_add(&n2, "lookup", 6, 20);
    counters_add(&n3, "getattr", 7, 4);
    n3.c[0].reset = 1;
    n2.dropped = 3;
    counters_merge(&sum, &n1);
    counters_merge(&sum, &n2);
    counters_merge(&sum, &n3);
    CHECK(sum.n == 3);
    CHECK(value(&sum, "lookup") == 30);
    CHECK(value(&sum, "open") == 3);
    CHECK(counters_find(&sum, "getattr")->reset == 1);
    CHECK(counters_total(&sum) == 33);
    CHECK(sum.dropped == 3);
}

int main(void)
{
    moosefs();
    lustre();
    forms();
    garbage();
    deltas();
    node_sum();
    return check_summary();
}
