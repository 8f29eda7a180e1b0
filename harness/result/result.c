/* result.c: the figures derived from a run's result: its status (decided
 * here and nowhere else) and the time a job waits for its first import. */
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
