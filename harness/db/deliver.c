/* deliver.c: recording a run's result (results_record, called at the end
 * of a run on rank 0) and flushing the spool. No result is dropped: whatever
 * keeps it from the database, it is written to the spool first. */
#include "deliver.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pg.h"
#include "rows.h"
#include "spool.h"

/* Connects and records P; E says why not. */
static int send_one(const struct config *conf, const struct pending_result *p, long long *id, int *already,
                    struct err *e)
{
    PGconn *c = pg_connect(conf, e);
    if (!c)
        return -1;
    int rc = rows_record(c, p, id, already, e);
    PQfinish(c);
    return rc;
}

static int spool(const struct config *conf, struct pending_result *p, const struct err *why, struct err *e)
{
    char path[4300];
    char *dir = spool_dir_of(conf);
    p->spooled_because = strdup(why->msg);
    int rc = spool_write(dir, p, path, sizeof path, e);
    free(dir);
    if (rc < 0) {
        err_wrap(e, "the result was not recorded (%s) and could not be spooled either: ", why->msg);
        e->status = EXIT_DATABASE;
        return -1;
    }
    fprintf(stderr,
            "harness: warning: the result was not recorded: %s\n"
            "harness: warning: it is kept in %s; send it with: harness --flush-spool --config %s\n",
            why->msg, path, conf->path);
    return 0;
}

int results_record(const struct config *conf, const struct options *o, json_object *result, struct err *e)
{
    /* No database and no reserved row: the table and JSON are the output. */
    if (!conf->db.conninfo && !o->result_id)
        return 0;
    struct pending_result p;
    if (pending_init(&p, o->result_id, result, e) < 0)
        return -1;
    struct err why = {0};
    long long id = 0;
    int already = 0, rc = 0;
    if (send_one(conf, &p, &id, &already, &why) == 0) {
        if (!o->quiet)
            fprintf(stderr, "harness: result recorded in row %lld (%s)\n", id, result_status(result));
    } else {
        rc = spool(conf, &p, &why, e);
    }
    pending_free(&p);
    return rc;
}

/* One file: 1 sent, 0 the database had it already, -1 not sent (E). */
static int flush_one(PGconn *c, const char *path, struct err *e)
{
    struct pending_result p;
    long long id;
    int already = 0;
    if (spool_read(path, &p, e) < 0) {
        if (access(path, F_OK) == 0 || errno != ENOENT)
            return -1;
        *e = (struct err){0};   /* gone: a flush running alongside sent it */
        return 0;
    }
    int rc = rows_record(c, &p, &id, &already, e);
    pending_free(&p);
    if (rc < 0)
        return err_wrap(e, "%s: ", path);
    /* Only now: a crash before this line leaves a file whose key the
     * database already holds, and the next flush just removes it. */
    if (spool_remove(path, e) < 0)
        return -1;
    return !already;
}

int deliver_flush(const struct config *conf, FILE *out, struct err *e)
{
    char *dir = spool_dir_of(conf), **files = NULL;
    int n = 0, sent = 0, had = 0, failed = 0;
    PGconn *c = NULL;
    if (spool_list(dir, &files, &n, e) < 0 || (n > 0 && !(c = pg_connect(conf, e))))
        goto out;
    for (int i = 0; i < n; i++) {
        struct err one = {0};
        int rc = flush_one(c, files[i], &one);
        sent += rc == 1;
        had += rc == 0;
        failed += rc < 0;
        if (rc < 0 && !e->status)
            *e = one;
    }
    fprintf(out, "spool %s: %d sent, %d already recorded, %d not sent\n", dir, sent, had, failed);
    if (failed)
        err_wrap(e, "%d of %d spooled results not sent; the first: ", failed, n);
out:
    PQfinish(c);
    spool_list_free(files, n);
    free(dir);
    return e->status ? -1 : 0;
}
