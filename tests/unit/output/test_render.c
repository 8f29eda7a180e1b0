/* test_render.c: a fixed run_result rendered to text and to JSON: every
 * typed field reaches both, under the keys the database reads. */
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "../check.h"
#include "fs/fs_kind.h"
#include "output/render.h"

static void fill(struct run_result *r)
{
    memset(r, 0, sizeof *r);
    r->machine = "m1";
    r->filesystem = "scratch";
    r->fs_kind = "staged";
    r->import_stmt = "import numpy";
    strcpy(r->venv, "/s/venv");
    r->suite = "numpy";
    r->ranks = 4;
    r->nodes = 2;
    r->repeats = 1;
    strcpy(r->started_at, "2026-11-30T07:00:00Z");
    struct phase_summary *imp = &r->phase[PHASE_IMPORT];
    imp->ran = 1;
    imp->elapsed_s = 0.5;
    imp->per_rank = (struct stats){.n = 4, .min = 0.1, .median = 0.2, .p90 = 0.3, .p99 = 0.35, .max = 0.4, .mean = 0.25};
    imp->ok = 3;
    imp->failed = 1;
    imp->slowest_rank = 2;
    strcpy(imp->slowest_host, "node7");
    imp->first_failed_rank = 3;
    imp->first_failed_exit = 1;
    strcpy(imp->first_error, "ModuleNotFoundError: No module named 'numpy'\n");
    r->staging = (struct staging_result){.done = 1, .kind = fs_kind_find("staged"), .seconds = 1.25, .entries = 10,
                                         .up_to_date = 6, .copied = 3, .delta_updated = 1, .deleted = 2,
                                         .literal_bytes = 1000, .matched_bytes = 500, .bytes_sent = 1000,
                                         .leaders = 1};
    r->profile.done = 1;
    r->profile.ranks = 4;
    r->profile.modules_seen = 30;
    r->profile.n = 1;
    r->profile.top[0] = (struct profile_module){"numpy.core", 4, 1500, 2000, 9000, 9500};
    r->status = run_status_of(r);
}

static double num(json_object *o, const char *a, const char *b)
{
    json_object *x = NULL, *y = NULL;
    json_object_object_get_ex(o, a, &x);
    if (b)
        json_object_object_get_ex(x, b, &y);
    return json_object_get_double(b ? y : x);
}

static const char *str(json_object *o, const char *a, const char *b)
{
    json_object *x = NULL, *y = NULL;
    json_object_object_get_ex(o, a, &x);
    if (b)
        json_object_object_get_ex(x, b, &y);
    return json_object_get_string(b ? y : x);
}

static void test_json(const struct run_result *r)
{
    json_object *o = render_json(r);
    CHECK(strcmp(str(o, "status", NULL), "failed") == 0);
    CHECK(strcmp(str(o, "machine", NULL), "m1") == 0);
    CHECK_NEAR(num(o, "elapsed_s", NULL), 0.5);
    CHECK_NEAR(num(o, "time_to_first_import_s", NULL), 1.75);
    CHECK_NEAR(num(o, "per_rank", "p90"), 0.3);
    CHECK_NEAR(num(o, "failed", NULL), 1);
    CHECK(strcmp(str(o, "slowest", "host"), "node7") == 0);
    CHECK(strcmp(str(o, "staging", "kind"), "staged") == 0);
    const char *counts[] = {"entries", "up_to_date", "copied", "delta_updated", "deleted", "literal_bytes",
                            "matched_bytes", "bytes_sent", "signature_bytes", "leaders", "seconds"};
    double want[] = {10, 6, 3, 1, 2, 1000, 500, 1000, 0, 1, 1.25};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        CHECK_NEAR(num(o, "staging", counts[i]), want[i]);
    json_object *prof = NULL, *mods = NULL;
    CHECK(json_object_object_get_ex(o, "import_profile", &prof) && json_object_object_get_ex(prof, "modules", &mods));
    CHECK(json_object_array_length(mods) == 1);
    json_object *m = json_object_array_get_idx(mods, 0);
    CHECK(strcmp(str(m, "module", NULL), "numpy.core") == 0);
    CHECK_NEAR(num(m, "self_us", "max"), 2000);
    CHECK_NEAR(num(m, "cumulative_us", "median"), 9000);
    json_object_put(o);
}

static void test_text(const struct run_result *r)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    render_text(r, f);
    fclose(f);
    CHECK_CONTAINS(buf, "import numpy on m1/scratch (staged), 4 ranks on 2 nodes");
    CHECK_CONTAINS(buf, "staging       staged, 10 entries to 1 copy: 6 up to date, 3 copied, 1 delta-updated, 2 deleted");
    CHECK_CONTAINS(buf, "1000 bytes literal, 500 matched, 1000 sent; 1.250 s");
    CHECK_CONTAINS(buf, "slowest rank  2 on node7, 0.400 s");
    CHECK_CONTAINS(buf, "first import  1.750 s");
    CHECK_CONTAINS(buf, "numpy.core");
    CHECK_CONTAINS(buf, "first failure rank 3, exit 1");
    CHECK_CONTAINS(buf, "No module named 'numpy'");
    free(buf);
}

static void test_status(void)
{
    struct run_result r;
    fill(&r);
    r.phase[PHASE_IMPORT].failed = 0;
    CHECK(run_status_of(&r) == RUN_OK);
    r.phase[PHASE_STARTUP].timed_out = 1;
    CHECK(run_status_of(&r) == RUN_TIMEOUT);
    CHECK(strcmp(run_status_name(RUN_TIMEOUT), "timeout") == 0);
    /* In place: no staging object, first import is the import alone. */
    r.staging.done = 0;
    CHECK_NEAR(run_first_import_s(&r), 0.5);
    json_object *o = render_json(&r), *st = NULL;
    CHECK(json_object_object_get_ex(o, "staging", &st) && st == NULL);
    json_object_put(o);
}

/* server_ops: absent without a probe, {error} when it failed, the sums otherwise. */
static void test_server_ops(void)
{
    struct run_result r;
    fill(&r);
    r.repeats = 2;
    json_object *o = render_json(&r), *so = NULL, *x = NULL;
    CHECK(!json_object_object_get_ex(o, "server_ops", &so));
    json_object_put(o);

    r.server_ops = (struct server_ops){.probed = 1, .available = 1, .scope = "node", .nodes = 2, .total = 40};
    counters_add(&r.server_ops.delta, "fuse_ops.lookup.master", 22, 40);
    counters_add(&r.server_ops.delta, "master.reconnects", 17, 0);
    r.server_ops.delta.c[1].reset = 1;
    o = render_json(&r);
    CHECK(json_object_object_get_ex(o, "server_ops", &so));
    CHECK_NEAR(num(o, "server_ops", "per_rank_import"), 5.0);   /* 40 / (4 ranks x 2 repeats) */
    CHECK_NEAR(num(o, "server_ops", "total"), 40);
    CHECK_NEAR(num(o, "server_ops", "nodes"), 2);
    CHECK(json_object_object_get_ex(so, "counters", &x) && json_object_object_length(x) == 2);
    CHECK(json_object_object_get_ex(so, "reset", &x) && json_object_array_length(x) == 1);
    json_object_put(o);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    render_text(&r, f);
    fclose(f);
    CHECK_CONTAINS(buf, "server ops    40 over the import phase (node scope, 2 nodes summed), 5.0 per rank per import: "
                        "fuse_ops.lookup.master 40 master.reconnects 0 (reset, not counted)");
    free(buf);

    r.server_ops.available = 0;
    strcpy(r.server_ops.reason, "on node1: the probe exited 1 (no)");
    o = render_json(&r);
    CHECK(json_object_object_get_ex(o, "server_ops", &so) && json_object_object_get_ex(so, "error", &x));
    CHECK(strcmp(json_object_get_string(x), "on node1: the probe exited 1 (no)") == 0);
    CHECK(json_object_object_length(so) == 1);
    json_object_put(o);
}

int main(void)
{
    struct run_result r;
    fill(&r);
    test_json(&r);
    test_text(&r);
    test_status();
    test_server_ops();
    return check_summary();
}
