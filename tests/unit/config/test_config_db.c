/* test_config_db.c: the database section: the conninfo is checked when
 * the config is read: no password in it, nothing libpq cannot parse. */
#include <stdlib.h>

#include "../check.h"
#include "config/config.h"

static const char *dir;

static const char *load(const char *db)
{
    static struct err e;
    char path[4096];
    struct config c;
    memset(&e, 0, sizeof e);
    snprintf(path, sizeof path, "%s/db.cfg", dir);
    FILE *f = fopen(path, "w");
    fprintf(f, "database = {\n%s\n};\nmachines = ( { name = \"m\"; venv = \"/v\"; "
               "filesystems = ( { name = \"c\"; kind = \"inplace\"; } ); } );\n",
            db);
    fclose(f);
    if (config_load(path, &c, &e) == 0) {
        config_free(&c);
        return "";
    }
    CHECK(e.status == EXIT_USAGE);
    CHECK_CONTAINS(e.msg, "db.cfg:2: ");   /* the conninfo's line */
    return e.msg;
}

int main(int argc, char **argv)
{
    dir = argc > 1 ? argv[1] : "/tmp";
    CHECK(strcmp(load("  conninfo = \"service=bench\";"), "") == 0);
    CHECK(strcmp(load("  conninfo = \"host=/run/pg port=5433 dbname=bench connect_timeout=3\";"), "") == 0);
    CHECK(strcmp(load("  conninfo = \"postgresql://bench@db.example.org/results\";"), "") == 0);
    CHECK_CONTAINS(load("  conninfo = \"host=db password=secret\";"), "holds a password");
    CHECK_CONTAINS(load("  conninfo = \"postgresql://bench:secret@db/results\";"), "holds a password");
    CHECK_CONTAINS(load("  conninfo = \"host=db nosuchkey=1\";"), "nosuchkey");
    CHECK_CONTAINS(load("  conninfo = \"host='unterminated\";"), "database.conninfo 'host='unterminated'");
    /* statement_timeout: seconds, at least 1, at most a day. */
    CHECK(strcmp(load("  statement_timeout = 2.5;"), "") == 0);
    CHECK_CONTAINS(load("  statement_timeout = 0;"), "'statement_timeout' must be at least 1");
    CHECK_CONTAINS(load("  statement_timeout = 1e9;"), "'statement_timeout' must be at most 86400");
    CHECK_CONTAINS(load("  statement_timeout = \"30\";"), "'statement_timeout' must be a number");
    return check_summary();
}
