/* test_rows.c: what a result's row status is, and the identity each
 * result gets (random UUIDs, so two recorders never share one). */
#include <stdlib.h>

#include "../check.h"
#include "db/rows.h"

static json_object *result(int failed, int timed_out, int st_failed, int st_timed_out)
{
    json_object *r = json_object_new_object(), *st = json_object_new_object();
    json_object_object_add(r, "ok", json_object_new_int(4 - failed - timed_out));
    json_object_object_add(r, "failed", json_object_new_int(failed));
    json_object_object_add(r, "timed_out", json_object_new_int(timed_out));
    json_object_object_add(st, "failed", json_object_new_int(st_failed));
    json_object_object_add(st, "timed_out", json_object_new_int(st_timed_out));
    json_object_object_add(r, "startup", st);
    return r;
}

static void check_status(int f, int t, int sf, int st, const char *want)
{
    json_object *r = result(f, t, sf, st);
    CHECK(strcmp(result_status(r), want) == 0);
    json_object_put(r);
}

static void test_status(void)
{
    check_status(0, 0, 0, 0, "ok");
    check_status(1, 0, 0, 0, "failed");
    check_status(0, 1, 0, 0, "timeout");
    check_status(2, 1, 0, 0, "timeout");   /* a hang says more than a failure */
    check_status(0, 0, 1, 0, "failed");    /* python itself did not start */
    check_status(0, 0, 0, 1, "timeout");
    /* A null start-up phase (not run) counts as nothing failed. */
    json_object *r = result(0, 0, 0, 0);
    json_object_object_add(r, "startup", NULL);
    CHECK(strcmp(result_status(r), "ok") == 0);
    json_object_put(r);
    /* The run's own status is the row's; only a run status is taken. */
    r = result(0, 0, 0, 0);
    json_object_object_add(r, "status", json_object_new_string("timeout"));
    CHECK(strcmp(result_status(r), "timeout") == 0);
    json_object_object_add(r, "status", json_object_new_string("lost"));
    CHECK(strcmp(result_status(r), "ok") == 0);
    json_object_put(r);
}

static void test_keys(void)
{
    json_object *r = result(0, 0, 0, 0);
    struct pending_result a, b;
    struct err e = {0};
    CHECK(pending_init(&a, 7, r, &e) == 0 && pending_init(&b, 0, r, &e) == 0);
    CHECK(strlen(a.key) == 36 && strcmp(a.key, b.key) != 0);
    CHECK(a.key[8] == '-' && a.key[13] == '-' && a.key[18] == '-' && a.key[23] == '-');
    CHECK(a.key[14] == '4' && strchr("89ab", a.key[19]) != NULL);
    CHECK(a.result_id == 7 && b.result_id == 0);
    CHECK(strlen(a.finished_at) == 20 && a.finished_at[19] == 'Z');
    /* Each holds a reference: the caller's put does not free it. */
    json_object_put(r);
    CHECK(strcmp(result_status(a.result), "ok") == 0);
    pending_free(&a);
    pending_free(&b);
    CHECK(a.result == NULL);
}

int main(void)
{
    test_status();
    test_keys();
    return check_summary();
}
