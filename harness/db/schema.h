/* schema.h: --db-init: sql/schema.sql (version 1) and then
 * sql/migrations/NNN_name.sql in order, each once, kept in schema_migrations. */
#ifndef SCHEMA_H
#define SCHEMA_H

#include <libpq-fe.h>
#include <stdio.h>

#include "base/err.h"

struct migration {
    int version;         /* 1: schema.sql; NNN of the migration's name */
    char *name;          /* file name without .sql */
    char *path;
};

/* The sql/ directory: $HARNESS_SQL_DIR, else the first sql/ holding
 * schema.sql beside the running executable or up to two levels above it
 * (build/harness and build/asan/harness both find the checkout's). */
char *schema_sql_dir(struct err *e);
/* The files of SQL_DIR in version order. Misnamed or duplicate migration
 * numbers are errors naming the file. */
int schema_list(const char *sql_dir, struct migration **out, int *n, struct err *e);
void schema_list_free(struct migration *m, int n);
/* Applies what the database lacks, each file in one transaction with the
 * row that records it; LOG gets one line per file. Safe to run twice, or
 * twice at once. An applied file that has changed since is an error. */
int schema_apply(PGconn *c, const struct migration *m, int n, FILE *log, struct err *e);

#endif
