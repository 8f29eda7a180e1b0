/* test_spool.c: spool files round-trip, list only finished files, survive
 * double removal, and reject what is not a spooled result, naming it. */
#include <stdlib.h>
#include <sys/stat.h>

#include "../check.h"
#include "db/spool.h"

static const char *tmp;

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

static json_object *sample(void)
{
    json_object *r = json_object_new_object();
    json_object_object_add(r, "machine", json_object_new_string("m'1\";"));
    json_object_object_add(r, "ok", json_object_new_int(4));
    return r;
}

static void test_round_trip(void)
{
    char dir[4096], path[4300];
    snprintf(dir, sizeof dir, "%s/a/b/spool", tmp);   /* parents made too */
    json_object *r = sample();
    struct pending_result p, back;
    struct err e = {0};
    CHECK(pending_init(&p, 42, r, &e) == 0);
    p.spooled_because = strdup("server down");
    CHECK(spool_write(dir, &p, path, sizeof path, &e) == 0);
    CHECK_CONTAINS(path, p.key);
    CHECK(spool_read(path, &back, &e) == 0);
    CHECK(strcmp(back.key, p.key) == 0 && back.result_id == 42);
    CHECK(strcmp(back.finished_at, p.finished_at) == 0);
    CHECK(back.spooled_because && strcmp(back.spooled_because, "server down") == 0);
    CHECK(json_object_equal(back.result, r));
    pending_free(&back);

    /* A second result without a row; a half-written one is not listed. */
    struct pending_result q;
    CHECK(pending_init(&q, 0, r, &e) == 0);
    CHECK(strcmp(q.key, p.key) != 0);
    CHECK(spool_write(dir, &q, path, sizeof path, &e) == 0);
    CHECK(spool_read(path, &back, &e) == 0 && back.result_id == 0 && back.spooled_because == NULL);
    pending_free(&back);
    char stray[4300];
    snprintf(stray, sizeof stray, "%s/.result-x.json.tmp", dir);
    write_file(stray, "{");
    char **files;
    int n;
    CHECK(spool_list(dir, &files, &n, &e) == 0 && n == 2);
    CHECK(n == 2 && strcmp(files[0], files[1]) < 0);
    for (int i = 0; i < n; i++)
        CHECK(spool_remove(files[i], &e) == 0);
    CHECK(spool_remove(files[0], &e) == 0);   /* another flush removed it */
    spool_list_free(files, n);
    CHECK(spool_list(dir, &files, &n, &e) == 0 && n == 0);
    spool_list_free(files, n);
    CHECK(e.status == 0);
    pending_free(&p);
    pending_free(&q);
    json_object_put(r);
}

static const char *read_error(const char *name, const char *text)
{
    static struct err e;
    static char path[4096];
    struct pending_result p;
    memset(&e, 0, sizeof e);
    snprintf(path, sizeof path, "%s/%s", tmp, name);
    write_file(path, text);
    CHECK(spool_read(path, &p, &e) < 0);
    CHECK_CONTAINS(e.msg, path);
    return e.msg;
}

static void test_bad_files(void)
{
    CHECK_CONTAINS(read_error("r1.json", "{ not json"), "not a spooled result");
    CHECK_CONTAINS(read_error("r2.json", "{\"result\": {}, \"finished_at\": \"x\"}"), "needs key");
    CHECK_CONTAINS(read_error("r3.json", "{\"key\": \"12345678-1234-4234-8234-123456789012\", \"finished_at\": \"x\", "
                                         "\"result\": {}, \"result_id\": \"7\"}"),
                   "result_id must be");
    CHECK_CONTAINS(read_error("r4.json", "{\"key\": \"12345678-1234-4234-8234-123456789012\", \"finished_at\": \"x\", "
                                         "\"result\": {}, \"result_id\": 0}"),
                   "result_id must be");
    /* A UUID's length but not its shape: set aside, never sent. */
    CHECK_CONTAINS(read_error("r5.json", "{\"key\": \"12345678-1234-4234-8234-12345678901Z\", \"finished_at\": \"x\", "
                                         "\"result\": {}, \"result_id\": null}"),
                   "its key is not a UUID");
    CHECK_CONTAINS(read_error("r6.json", "{\"key\": \"../../../../../../../../../etc/passw\", \"finished_at\": \"x\", "
                                         "\"result\": {}, \"result_id\": null}"),
                   "its key is not a UUID");
}

static void test_unwritable(void)
{
    char file[4096], dir[4200], path[4300];
    snprintf(file, sizeof file, "%s/plainfile", tmp);
    write_file(file, "x");
    snprintf(dir, sizeof dir, "%s/sub", file);   /* a directory under a file */
    json_object *r = sample();
    struct pending_result p;
    struct err e = {0};
    pending_init(&p, 0, r, &e);
    CHECK(spool_write(dir, &p, path, sizeof path, &e) < 0);
    CHECK(e.status == EXIT_RUNTIME);
    CHECK_CONTAINS(e.msg, "spool directory: cannot open the target directory");
    CHECK_CONTAINS(e.msg, "plainfile");
    pending_free(&p);
    json_object_put(r);

    char **files;
    int n;
    struct err e2 = {0};
    CHECK(spool_list(file, &files, &n, &e2) < 0 && e2.status == EXIT_RUNTIME);
    CHECK(spool_list("/nonexistent/spool", &files, &n, &e2) == 0 && n == 0 && files == NULL);
}

static void test_default_dir(void)
{
    struct config c = {0};
    c.dir = "/etc/bench";
    char *d = spool_dir_of(&c);
    CHECK(strcmp(d, "/etc/bench/spool") == 0);
    free(d);
    c.db.spool_dir = "/var/spool/x";
    d = spool_dir_of(&c);
    CHECK(strcmp(d, "/var/spool/x") == 0);
    free(d);
}

int main(int argc, char **argv)
{
    tmp = argc > 1 ? argv[1] : "/tmp";
    test_round_trip();
    test_bad_files();
    test_unwritable();
    test_default_dir();
    return check_summary();
}
