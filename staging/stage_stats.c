/* stage_stats.c: a stage's statistics as the run's "staging" JSON object;
 * the key names are a contract with the results database. */
#include "stage.h"

json_object *stage_stats_json(const struct stage_stats *st)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "entries", json_object_new_int64(st->entries));
    json_object_object_add(o, "up_to_date", json_object_new_int64(st->up_to_date));
    json_object_object_add(o, "copied", json_object_new_int64(st->copied));
    json_object_object_add(o, "delta_updated", json_object_new_int64(st->delta_updated));
    json_object_object_add(o, "deleted", json_object_new_int64(st->deleted));
    json_object_object_add(o, "literal_bytes", json_object_new_int64(st->literal_bytes));
    json_object_object_add(o, "matched_bytes", json_object_new_int64(st->matched_bytes));
    json_object_object_add(o, "seconds", json_object_new_double(st->seconds));
    json_object_object_add(o, "waited_for_lock", json_object_new_boolean(st->waited_for_lock));
    return o;
}
