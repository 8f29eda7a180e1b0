/* result.c: the figures derived from a run's result: its status (decided
 * here and nowhere else), the time a job waits for its first import, the
 * server's operations per rank. */
#include "result/result.h"

enum run_status run_status_of(const struct run_result *r)
{
    const struct phase_summary *imp = &r->phase[PHASE_IMPORT], *st = &r->phase[PHASE_STARTUP];
    if (imp->timed_out > 0 || st->timed_out > 0)
        return RUN_TIMEOUT;
    if (imp->failed > 0 || st->failed > 0)
        return RUN_FAILED;
    return RUN_OK;
}

const char *run_status_name(enum run_status s)
{
    switch (s) {
    case RUN_OK: return "ok";
    case RUN_FAILED: return "failed";
    case RUN_TIMEOUT: return "timeout";
    }
    return "?";
}

double run_first_import_s(const struct run_result *r)
{
    return (r->staging.done ? r->staging.seconds : 0) + r->phase[PHASE_IMPORT].elapsed_s;
}

double server_ops_per_rank_import(const struct run_result *r)
{
    double imports = (double)r->ranks * (r->repeats > 0 ? r->repeats : 1);
    return imports > 0 ? (double)r->server_ops.total / imports : 0;
}
