/* phase.c: the timed region and its collectives. Everything that can be
 * prepared (argv, environment, capture files, the timer) is done by the
 * caller once, before the first barrier. */
#include "run/phase.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/collective.h"
#include "proc/reap.h"

int phase_run(MPI_Comm comm, struct spawn_job *job, double timeout, struct child_result *mine, char **errtext,
              double *elapsed, struct err *e)
{
    return phase_run_capture(comm, job, timeout, mine, errtext, 0, elapsed, e);
}

/* MAX == 0: stderr is read only from a failed child, its last ERRTEXT_MAX bytes. */
int phase_run_capture(MPI_Comm comm, struct spawn_job *job, double timeout, struct child_result *mine,
                      char **errtext, size_t max, double *elapsed, struct err *e)
{
    struct err spawn_err = {0};
    *errtext = NULL;
    MPI_Request req;
    spawn_reset(job);
    /* Both barriers the same non-blocking one: its peers' connections are
     * made by the first, while every rank is in MPI, so the second opens
     * none. Opened at the second, to ranks still in waitpid, they stretched
     * a phase now and then by 0.2-24 s (virtual cluster, 4x4). */
    MPI_Ibarrier(comm, &req);
    MPI_Wait(&req, MPI_STATUS_IGNORE);
    double t0 = now_seconds(), wall_start = wall_seconds();
    int rc = spawn_run_timed(job, timeout, mine, &spawn_err);
    /* Not a spinning wait: on a node of more ranks than cores, a rank
     * whose child is done would take the CPU from the children still
     * importing, the very time measured. Naps of at most 200 us bound what
     * the wait adds to the span. */
    MPI_Ibarrier(comm, &req);
    coll_quiet_wait(&req, 200);
    double span = now_seconds() - t0;
    mine->wall_start = wall_start;
    mine->wall_end = wall_seconds();
    /* The clock has stopped: what the child left running is killed now,
     * before the next phase (one waitpid when it left nothing). */
    mine->leftover = reap_descendants(&job->keep);
    /* Ranks leave a barrier at slightly different moments: the longest
     * span, first barrier's exit to the second's, covers every child. */
    MPI_Reduce(&span, elapsed, 1, MPI_DOUBLE, MPI_MAX, 0, comm);

    if (rc < 0) {
        *e = spawn_err;
        return -1;
    }
    if (mine->status == CHILD_NOSPAWN)
        *errtext = strdup(spawn_err.msg);
    else if (max > 0)
        *errtext = spawn_stderr(job, max);
    else if (mine->status != CHILD_OK)
        *errtext = spawn_stderr(job, ERRTEXT_MAX - 1);
    if (mine->status == CHILD_TIMEOUT) {
        int rank;
        char host[MPI_MAX_PROCESSOR_NAME];
        int len;
        MPI_Comm_rank(comm, &rank);
        MPI_Get_processor_name(host, &len);
        fprintf(stderr, "harness: rank %d on %s: %s still running after %g s, killed\n", rank, host, job->argv[0],
                timeout);
    }
    return 0;
}

static void summarize(const struct rank_record *all, int size, int repeats, enum phase_id id,
                      const double *elapsed, struct phase_summary *p)
{
    int n = size * repeats, slowest = 0;
    double *secs = malloc((size_t)n * sizeof *secs);
    memset(p, 0, sizeof *p);
    p->ran = 1;
    p->first_failed_rank = -1;
    for (int i = 0; i < n; i++) {
        secs[i] = all[i].seconds[id];
        p->leftover_descendants += all[i].leftover[id];
        if (all[i].status[id] == CHILD_OK)
            p->ok++;
        else if (all[i].status[id] == CHILD_TIMEOUT)
            p->timed_out++;
        else
            p->failed++;
        /* The lowest failing rank: the one whose stderr is broadcast. */
        if (all[i].status[id] != CHILD_OK && (p->first_failed_rank < 0 || i % size < p->first_failed_rank)) {
            p->first_failed_rank = i % size;
            p->first_failed_exit = all[i].exit_code[id];
        }
        if (secs[i] > secs[slowest])
            slowest = i;
    }
    p->slowest_rank = slowest % size;
    snprintf(p->slowest_host, sizeof p->slowest_host, "%s", all[slowest].host);
    stats_compute(secs, (size_t)n, &p->per_rank);
    struct stats el;
    stats_compute(elapsed, (size_t)repeats, &el);
    p->elapsed_s = el.median;
    free(secs);
}

void gather_records(MPI_Comm comm, struct rank_record *mine, struct rank_record *all)
{
    MPI_Gather(mine, (int)sizeof *mine, MPI_BYTE, all, (int)sizeof *mine, MPI_BYTE, 0, comm);
}

void phase_summarize(MPI_Comm comm, enum phase_id id, int failed_here, const struct rank_record *all, int repeats,
                     const char *errtext, const double *elapsed, struct phase_summary *p)
{
    int rank, size;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);

    /* Every rank learns who failed first, so that rank can be the root of
     * a broadcast of its stderr: collectives only, no point-to-point. */
    int mine = failed_here ? rank : size, first;
    MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, comm);
    char *buf = calloc(1, ERRTEXT_MAX);
    if (first < size) {
        if (rank == first && errtext)
            snprintf(buf, ERRTEXT_MAX, "%s", errtext);
        MPI_Bcast(buf, ERRTEXT_MAX, MPI_CHAR, first, comm);
    }
    if (rank == 0) {
        summarize(all, size, repeats, id, elapsed, p);
        snprintf(p->first_error, sizeof p->first_error, "%s", buf);
    }
    free(buf);
}
