/* test_schema_list.c: which schema files --db-init applies, in which
 * order, and the misnamed or clashing files it refuses, by name. */
#include <stdlib.h>
#include <sys/stat.h>

#include "../check.h"
#include "db/schema.h"

static char root[4096];

static void put(const char *dir, const char *name)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/%s/%s", root, dir, name);
    FILE *f = fopen(path, "w");
    fputs("SELECT 1;\n", f);
    fclose(f);
}

static const char *list_error(const char *dir)
{
    static struct err e;
    char path[4200];
    struct migration *m;
    int n;
    memset(&e, 0, sizeof e);
    snprintf(path, sizeof path, "%s/%s", root, dir);
    CHECK(schema_list(path, &m, &n, &e) < 0);
    CHECK(e.status == EXIT_USAGE && m == NULL && n == 0);
    return e.msg;
}

static void make(const char *dir)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", root, dir);
    mkdir(path, 0755);
}

int main(int argc, char **argv)
{
    snprintf(root, sizeof root, "%s", argc > 1 ? argv[1] : "/tmp");
    make("good");
    make("good/migrations");
    put("good", "schema.sql");
    put("good/migrations", "010_later.sql");
    put("good/migrations", "002_add_x.sql");
    put("good/migrations", "README.md");
    char path[4200];
    snprintf(path, sizeof path, "%s/good", root);
    struct migration *m;
    int n;
    struct err e = {0};
    CHECK(schema_list(path, &m, &n, &e) == 0);
    CHECK(n == 3);
    if (n == 3) {
        CHECK(m[0].version == 1 && strcmp(m[0].name, "schema") == 0);
        CHECK(m[1].version == 2 && strcmp(m[1].name, "002_add_x") == 0);
        CHECK(m[2].version == 10);
        CHECK_CONTAINS(m[2].path, "/good/migrations/010_later.sql");
    }
    schema_list_free(m, n);

    /* No migrations directory at all: the schema alone. */
    make("bare");
    put("bare", "schema.sql");
    snprintf(path, sizeof path, "%s/bare", root);
    CHECK(schema_list(path, &m, &n, &e) == 0 && n == 1);
    schema_list_free(m, n);

    make("none");
    CHECK_CONTAINS(list_error("none"), "none/schema.sql");

    make("badname");
    make("badname/migrations");
    put("badname", "schema.sql");
    put("badname/migrations", "2_x.sql");
    CHECK_CONTAINS(list_error("badname"), "badname/migrations/2_x.sql: a migration is named NNN_name.sql");

    make("one");
    make("one/migrations");
    put("one", "schema.sql");
    put("one/migrations", "001_again.sql");   /* 1 is schema.sql's */
    CHECK_CONTAINS(list_error("one"), "001_again.sql");

    make("twice");
    make("twice/migrations");
    put("twice", "schema.sql");
    put("twice/migrations", "003_a.sql");
    put("twice/migrations", "003_b.sql");
    CHECK_CONTAINS(list_error("twice"), "have the same number");
    return check_summary();
}
