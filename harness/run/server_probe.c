/* server_probe.c: running the filesystem's probe command (/bin/sh -c,
 * bounded by its timeout) and gathering its counters' growth to rank 0. */
#include "run/server_probe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/nodes.h"
#include "proc/spawn.h"

extern char **environ;

/* A probe prints a few hundred lines; more is not a probe's output. */
#define PROBE_OUTPUT_MAX (1u << 20)
#define PROBE_STDERR_KEEP 4096

/* What each prober sends to rank 0: fixed size, so one MPI_Gather moves it. */
struct probe_record {
    int32_t failed;
    char host[64];
    char reason[400];
    struct counters acc;
};

void server_probe_init(MPI_Comm comm, const struct probe_conf *conf, struct server_probe *p)
{
    memset(p, 0, sizeof *p);
    p->probers = MPI_COMM_NULL;
    p->conf = conf->command ? conf : NULL;
    if (!p->conf)
        return;
    int rank;
    MPI_Comm_rank(comm, &rank);
    /* Real machines, never --ranks-per-node's pretend nodes: a client's
     * counters are the machine's, and two readers of one would count twice. */
    int leader = nodes_local_rank(comm, 0) == 0;
    int probes = conf->scope == PROBE_JOB ? rank == 0 : leader;
    MPI_Comm_split(comm, probes ? 0 : MPI_UNDEFINED, rank, &p->probers);
}

static void why_failed(const struct child_result *res, struct spawn_job *job, double timeout, char *out, size_t n)
{
    if (res->status == CHILD_TIMEOUT) {
        snprintf(out, n, "the probe did not finish in %g s and was killed", timeout);
        return;
    }
    char *tail = spawn_stderr_line(job, 300);
    const char *said = tail && *tail ? tail : "nothing on stderr";
    if (res->signal)
        snprintf(out, n, "the probe was killed by signal %d (%s)", res->signal, said);
    else
        snprintf(out, n, "the probe exited %d (%s)", res->exit_code, said);
    free(tail);
}

static void parse_reading(struct spawn_job *job, const struct probe_conf *conf, struct counters *out, char *reason,
                          size_t n)
{
    char *text = spawn_captured(job->out_fd, PROBE_OUTPUT_MAX);
    counters_parse(text, (const char *const *)conf->counters, conf->ncounters, out);
    free(text);
    if (out->n == 0)
        snprintf(reason, n, "the probe printed no %s", conf->counters ? "counter of probe_counters" : "counters");
}

/* One reading into OUT; -1 with REASON when the probe failed or printed
 * no counter it was asked for. */
static int read_counters(const struct probe_conf *conf, struct counters *out, char *reason, size_t n)
{
    char *argv[] = {"/bin/sh", "-c", conf->command, NULL};
    struct spawn_job job;
    struct child_result res = {0};
    struct err e = {0};
    memset(out, 0, sizeof *out);
    if (spawn_prepare_keep(&job, argv, environ, 1, PROBE_STDERR_KEEP, &e) < 0) {
        snprintf(reason, n, "the probe could not be prepared: %s", e.msg);
        return -1;
    }
    int rc = spawn_run(&job, conf->timeout, &res, &e);
    if (rc < 0 || res.status == CHILD_NOSPAWN)
        snprintf(reason, n, "the probe could not be started: %s", e.msg);
    else if (res.status != CHILD_OK)
        why_failed(&res, &job, conf->timeout, reason, n);
    else
        parse_reading(&job, conf, out, reason, n);
    spawn_release(&job);
    return out->n > 0 ? 0 : -1;
}

void server_probe_before(struct server_probe *p)
{
    if (p->probers == MPI_COMM_NULL || p->failed)
        return;
    p->failed = read_counters(p->conf, &p->before, p->reason, sizeof p->reason) < 0;
}

void server_probe_after(struct server_probe *p)
{
    if (p->probers == MPI_COMM_NULL || p->failed)
        return;
    struct counters after;
    p->failed = read_counters(p->conf, &after, p->reason, sizeof p->reason) < 0;
    if (!p->failed)
        counters_add_delta(&p->acc, &p->before, &after);
}

/* Rank 0: the probers' records summed into OUT; the first failure, named
 * by its host, makes the whole figure unavailable. */
static void sum_records(const struct probe_record *all, int n, struct server_ops *out)
{
    int failed = 0;
    for (int i = 0; i < n; i++) {
        if (all[i].failed && !failed++)
            snprintf(out->reason, sizeof out->reason, "on %s: %s", all[i].host, all[i].reason);
        counters_merge(&out->delta, &all[i].acc);
    }
    if (failed > 1) {
        size_t len = strlen(out->reason);
        snprintf(out->reason + len, sizeof out->reason - len, " (and %d more of %d probes)", failed - 1, n);
    }
    out->available = !failed;
    out->total = out->available ? counters_total(&out->delta) : 0;
}

void server_probe_collect(struct server_probe *p, struct server_ops *out)
{
    if (!p->conf || p->probers == MPI_COMM_NULL)
        return;
    int rank, n;
    MPI_Comm_rank(p->probers, &rank);
    MPI_Comm_size(p->probers, &n);
    struct probe_record mine = {.failed = p->failed, .acc = p->acc};
    gethostname(mine.host, sizeof mine.host - 1);
    snprintf(mine.reason, sizeof mine.reason, "%s", p->reason);
    struct probe_record *all = rank == 0 ? calloc((size_t)n, sizeof *all) : NULL;
    MPI_Gather(&mine, (int)sizeof mine, MPI_BYTE, all, (int)sizeof mine, MPI_BYTE, 0, p->probers);
    if (rank == 0) {
        memset(out, 0, sizeof *out);
        out->probed = 1;
        snprintf(out->scope, sizeof out->scope, "%s", p->conf->scope == PROBE_JOB ? "job" : "node");
        out->nodes = n;
        sum_records(all, n, out);
    }
    free(all);
}

void server_probe_free(struct server_probe *p)
{
    if (p->probers != MPI_COMM_NULL)
        MPI_Comm_free(&p->probers);
    p->probers = MPI_COMM_NULL;
}
