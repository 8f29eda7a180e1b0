/* deliver.c: recording a run's result (results_record, called at the end
 * of a run on rank 0) and flushing the spool. No result is dropped: it is
 * on disk before the database is tried, and stays there unless the
 * database took it; what the database refuses for good goes to rejected/. */
#include "db/deliver.h"

#include <stdlib.h>
#include <string.h>

#include "db/pg.h"
#include "db/rejected.h"
#include "db/rows.h"
#include "db/spool.h"

/* What a spool file written before the send says if nothing replaces it. */
#define INTERRUPTED "the run ended (killed, or out of time) while it was recording the result"

/* Connects and records P: 0, -1 not now, ROWS_REFUSED never; E says why not. */
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

/* Spools P, now with the reason WHY; KEPT: the file written before the
 * send, if it was (NULL if not). */
static int spool(const struct config *conf, const char *dir, struct pending_result *p, const struct err *why,
                 const char *kept, struct err *e)
{
    char path[4300];
    p->spooled_because = strdup(why->msg);
    if (spool_write(dir, p, path, sizeof path, e) < 0) {
        if (!kept) {
            err_wrap(e, "the result was not recorded (%s) and could not be spooled either: ", why->msg);
            e->status = EXIT_DATABASE;
            return -1;
        }
        /* The rewrite failed: the first file stays, with a vaguer reason. */
        *e = (struct err){0};
        snprintf(path, sizeof path, "%s", kept);
    }
    fprintf(stderr,
            "harness: warning: the result was not recorded: %s\n"
            "harness: warning: it is kept in %s; send it with: harness --flush-spool --config %s\n",
            why->msg, path, conf->path);
    return 0;
}

/* The database refused P for good: into rejected/, out of the spool, and
 * an error (exit 5) now rather than a flush failing every night. */
static int reject(const char *dir, const struct pending_result *p, const struct err *why, const char *spooled,
                  struct err *e)
{
    char path[4400];
    struct err keep = {0};
    if (rejected_keep(dir, p, why->msg, path, sizeof path, &keep) < 0) {
        if (spooled)
            return err_set(e, EXIT_DATABASE, "the database refused the result: %s; it stays in %s (%s)", why->msg,
                           spooled, keep.msg);
        return err_set(e, EXIT_DATABASE, "the database refused the result: %s; and it could not be kept: %s",
                       why->msg, keep.msg);
    }
    if (spooled)
        spool_remove(spooled, &keep);
    return err_set(e, EXIT_DATABASE, "the database refused the result for good: %s; it is kept in %s", why->msg,
                   path);
}

int deliver_result(const struct config *conf, long long result_id, int quiet, json_object *result, struct err *e)
{
    /* No database and no reserved row: the table and JSON are the output. */
    if (!conf->db.conninfo && !result_id)
        return 0;
    struct pending_result p;
    if (pending_init(&p, result_id, result, e) < 0)
        return -1;
    char *dir = spool_dir_of(conf), path[4300];
    /* On disk first: a job killed while the database keeps it waiting
     * (Slurm's time limit, scancel) leaves its result for --flush-spool,
     * which sends it once, by its key, even if this send got through. */
    struct err pre = {0};
    p.spooled_because = strdup(INTERRUPTED);
    int kept = spool_write(dir, &p, path, sizeof path, &pre) == 0;
    free(p.spooled_because);
    p.spooled_because = NULL;

    struct err why = {0};
    long long id = 0;
    int already = 0, rc = send_one(conf, &p, &id, &already, &why);
    if (rc == 0) {
        if (!quiet)
            fprintf(stderr, "harness: result recorded in row %lld (%s)\n", id, result_status(result));
        if (kept && spool_remove(path, &pre) < 0)
            fprintf(stderr, "harness: warning: %s (the next --flush-spool removes it)\n", pre.msg);
    } else if (rc == ROWS_REFUSED) {
        rc = reject(dir, &p, &why, kept ? path : NULL, e);
    } else {
        rc = spool(conf, dir, &p, &why, kept ? path : NULL, e);
    }
    pending_free(&p);
    free(dir);
    return rc;
}

struct flush_counts {
    int sent, had, kept, aside;
};

/* Sets FILE aside with the reason WHY, saying so on stderr. */
static void set_aside(const char *dir, const char *file, const char *why, struct flush_counts *n, struct err *first)
{
    struct err e = {0};
    if (rejected_set_aside(dir, file, why, &e) < 0) {
        n->kept++;
        err_set(first, e.status, "%s", e.msg);
        return;
    }
    n->aside++;
    fprintf(stderr, "harness: set aside %s in %s/rejected: %s\n", file, dir, why);
}

/* One file, on connection *C (opened on first need; *DOWN once the
 * database is not taking results: the rest are kept untried). */
static void flush_one(const struct config *conf, const char *dir, const char *file, PGconn **c, int *down,
                      struct flush_counts *n, struct err *first)
{
    struct pending_result p;
    struct err e = {0};
    int rc = spool_read(file, &p, &e);
    if (rc == SPOOL_GONE) {
        n->had++;   /* a flush running alongside sent it */
        return;
    }
    if (rc == -1) {
        set_aside(dir, file, e.msg, n, first);
        return;
    }
    if (rc == SPOOL_UNREADABLE) {
        n->kept++;
        err_set(first, e.status, "%s", e.msg);
        return;
    }
    if (rc == 0 && !*down && !*c && !(*c = pg_connect(conf, &e)))
        *down = 1;
    long long id;
    int already = 0;
    if (rc == 0 && !*down)
        rc = rows_record(*c, &p, &id, &already, &e);
    else if (rc == 0)
        rc = -1;
    if (rc == 0 && spool_remove(file, &e) == 0) {
        /* Only now: a crash before this line leaves a file whose key the
         * database already holds, and the next flush just removes it. */
        n->sent += !already;
        n->had += already;
    } else if (rc == ROWS_REFUSED) {
        char path[4400];
        if (rejected_keep(dir, &p, e.msg, path, sizeof path, first) == 0 && spool_remove(file, first) == 0) {
            n->aside++;
            fprintf(stderr, "harness: set aside %s as %s: %s\n", file, path, e.msg);
        } else {
            n->kept++;
        }
    } else {
        n->kept++;
        *down |= e.status == EXIT_DATABASE;
        if (e.status) {
            err_wrap(&e, "%s: ", file);
            err_set(first, e.status, "%s", e.msg);
        }
    }
    pending_free(&p);
}

int deliver_flush(const struct config *conf, FILE *out, struct err *e)
{
    char *dir = spool_dir_of(conf), **files = NULL;
    int nfiles = 0, down = 0;
    struct flush_counts n = {0};
    struct err first = {0};
    PGconn *c = NULL;
    if (spool_list(dir, &files, &nfiles, e) < 0)
        goto out;
    for (int i = 0; i < nfiles; i++)
        flush_one(conf, dir, files[i], &c, &down, &n, &first);
    fprintf(out, "spool %s: %d sent, %d already recorded, %d kept, %d set aside\n", dir, n.sent, n.had, n.kept,
            n.aside);
    if (n.kept) {
        *e = first;
        err_wrap(e, "%d of %d spooled results kept for a later flush; the first: ", n.kept, nfiles);
        e->status = EXIT_DATABASE;
    } else if (n.aside) {
        err_set(e, FLUSH_SET_ASIDE, "%d spooled result%s set aside in %s/rejected (see the reasons there)", n.aside,
                n.aside == 1 ? "" : "s", dir);
    }
out:
    PQfinish(c);
    spool_list_free(files, nfiles);
    free(dir);
    return e->status ? -1 : 0;
}
