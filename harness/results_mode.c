/* results_mode.c: the database modes and the recording of a run:
 * placeholder until results in PostgreSQL land (issue: results). */
#include "modes.h"

int results_main(const struct options *o, struct err *e)
{
    (void)o;
    return err_set(e, EXIT_USAGE, "the database modes are not built yet");
}

int results_record(const struct config *conf, const struct options *o, json_object *result, struct err *e)
{
    (void)conf, (void)result;
    if (o->result_id)
        return err_set(e, EXIT_USAGE, "--result-id: the database recorder is not built yet");
    return 0;
}
