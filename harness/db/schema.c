/* schema.c: finding, ordering and applying the schema files, so
 * that every database of the benchmark is at the same, known version. */
#include "db/schema.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/beside_exe.h"
#include "db/pg.h"

/* Any constant will do: two --db-init at once take turns on it. */
#define SCHEMA_LOCK_KEY "2024061501"

char *schema_sql_dir(struct err *e)
{
    const char *env = getenv("HARNESS_SQL_DIR");
    if (env && env[0])
        return strdup(env);
    char dir[4096];
    char *schema = beside_exe("sql/schema.sql", R_OK, dir, sizeof dir);
    if (!schema) {
        err_set(e, EXIT_USAGE, "no sql/schema.sql beside %s or up to two directories above it: set HARNESS_SQL_DIR",
                dir);
        return NULL;
    }
    *strrchr(schema, '/') = '\0';
    return schema;
}

/* "NNN_name.sql" with NNN >= 2; returns the version or -1. */
static int migration_version(const char *file)
{
    size_t len = strlen(file);
    if (len < 9 || strcmp(file + len - 4, ".sql") != 0 || file[3] != '_')
        return -1;
    for (int i = 0; i < 3; i++)
        if (file[i] < '0' || file[i] > '9')
            return -1;
    for (size_t i = 4; i < len - 4; i++)
        if (!(file[i] == '_' || (file[i] >= 'a' && file[i] <= 'z') || (file[i] >= '0' && file[i] <= '9')))
            return -1;
    return (file[0] - '0') * 100 + (file[1] - '0') * 10 + (file[2] - '0');
}

static void add(struct migration **m, int *n, int version, const char *dir, const char *file)
{
    *m = realloc(*m, (size_t)(*n + 1) * sizeof **m);
    struct migration *x = &(*m)[(*n)++];
    size_t plen = strlen(dir) + strlen(file) + 2;
    x->version = version;
    x->name = strndup(file, strlen(file) - 4);
    x->path = malloc(plen);
    snprintf(x->path, plen, "%s/%s", dir, file);
}

static int by_version(const void *a, const void *b)
{
    const struct migration *x = a, *y = b;
    return (x->version > y->version) - (x->version < y->version);
}

static int list_migrations(const char *dir, struct migration **m, int *n, struct err *e)
{
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? 0 : err_sys(e, EXIT_USAGE, "cannot list %s", dir);
    struct dirent *ent;
    while ((ent = readdir(d)) && !e->status) {
        size_t len = strlen(ent->d_name);
        if (len < 4 || strcmp(ent->d_name + len - 4, ".sql") != 0)
            continue;
        int v = migration_version(ent->d_name);
        if (v < 2)
            err_set(e, EXIT_USAGE, "%s/%s: a migration is named NNN_name.sql (lower case, NNN from 002)", dir,
                    ent->d_name);
        else
            add(m, n, v, dir, ent->d_name);
    }
    closedir(d);
    return e->status ? -1 : 0;
}

int schema_list(const char *sql_dir, struct migration **out, int *n, struct err *e)
{
    char mdir[4200];
    *out = NULL;
    *n = 0;
    add(out, n, 1, sql_dir, "schema.sql");
    if (access((*out)[0].path, R_OK) != 0) {
        err_sys(e, EXIT_USAGE, "cannot read %s", (*out)[0].path);
        goto fail;
    }
    snprintf(mdir, sizeof mdir, "%s/migrations", sql_dir);
    if (list_migrations(mdir, out, n, e) < 0)
        goto fail;
    qsort(*out, (size_t)*n, sizeof **out, by_version);
    for (int i = 1; i < *n; i++)
        if ((*out)[i].version == (*out)[i - 1].version) {
            err_set(e, EXIT_USAGE, "%s and %s have the same number", (*out)[i - 1].path, (*out)[i].path);
            goto fail;
        }
    return 0;
fail:
    schema_list_free(*out, *n);
    *out = NULL;
    *n = 0;
    return -1;
}

void schema_list_free(struct migration *m, int n)
{
    for (int i = 0; i < n; i++) {
        free(m[i].name);
        free(m[i].path);
    }
    free(m);
}

static char *read_text(const char *path, struct err *e)
{
    FILE *f = fopen(path, "r");
    struct stat st;
    if (!f || fstat(fileno(f), &st) < 0) {
        err_sys(e, EXIT_USAGE, "cannot read %s", path);
        if (f)
            fclose(f);
        return NULL;
    }
    char *text = malloc((size_t)st.st_size + 1);
    size_t got = fread(text, 1, (size_t)st.st_size, f);
    fclose(f);
    text[got] = '\0';
    return text;
}

/* A file of many statements cannot go through PQexecParams; it is sent
 * as written, and holds no values of ours. An error names its line. */
static int run_script(PGconn *c, const char *path, const char *text, struct err *e)
{
    PGresult *r = PQexec(c, text);
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY) {
        PQclear(r);
        return 0;
    }
    const char *pos = r ? PQresultErrorField(r, PG_DIAG_STATEMENT_POSITION) : NULL;
    const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    int line = 1;
    for (long i = 0, at = pos ? atol(pos) - 1 : -1; i < at && text[i]; i++)
        line += text[i] == '\n';
    if (pos)
        err_set(e, EXIT_DATABASE, "%s:%d: %s", path, line, msg ? msg : PQerrorMessage(c));
    else
        err_set(e, EXIT_DATABASE, "%s: %s", path, msg ? msg : PQerrorMessage(c));
    PQclear(r);
    return -1;
}

/* 1: applied now, 0: was there already, -1: error. In one transaction. */
static int apply_one(PGconn *c, const struct migration *m, struct err *e)
{
    char version[16];
    snprintf(version, sizeof version, "%d", m->version);
    char *text = read_text(m->path, e);
    if (!text)
        return -1;
    const char *lock[] = {SCHEMA_LOCK_KEY};
    const char *look[] = {version, text};
    const char *rec[] = {version, m->name, text};
    int rc = -1;
    PGresult *r = NULL;
    if (pg_command(c, "begin", "BEGIN", 0, NULL, e) < 0 ||
        pg_command(c, "schema lock", "SELECT pg_advisory_xact_lock($1::bigint)", 1, lock, e) < 0 ||
        pg_command(c, "schema_migrations",
                   "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, "
                   "checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
                   0, NULL, e) < 0 ||
        !(r = pg_exec(c, "schema_migrations", "SELECT checksum = md5($2) FROM schema_migrations WHERE version = $1",
                      2, look, e)))
        goto out;
    if (PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "t") != 0) {
        err_set(e, EXIT_DATABASE,
                "%s has changed since it was applied as schema version %d: put changes in a new "
                "sql/migrations/NNN_name.sql instead",
                m->path, m->version);
        goto out;
    }
    rc = PQntuples(r) == 0;
    if (rc && (run_script(c, m->path, text, e) < 0 ||
               pg_command(c, "schema_migrations",
                          "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, md5($3))", 3,
                          rec, e) < 0))
        rc = -1;
    if (rc >= 0 && pg_command(c, "commit", "COMMIT", 0, NULL, e) < 0)
        rc = -1;
out:
    if (rc < 0)
        pg_rollback(c);
    PQclear(r);
    free(text);
    return rc;
}

int schema_apply(PGconn *c, const struct migration *m, int n, FILE *log, struct err *e)
{
    for (int i = 0; i < n; i++) {
        int rc = apply_one(c, &m[i], e);
        if (rc < 0)
            return -1;
        if (log)
            fprintf(log, "schema version %d (%s): %s\n", m[i].version, m[i].name, rc ? "applied" : "already there");
    }
    return 0;
}
