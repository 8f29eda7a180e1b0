/* fs_result.c: a kind's staging figures rendered: the shared ones by one
 * shape for every kind, the kind's own by the kind's functions. */
#include "fs/fs_result.h"

#include "fs/fs_kind.h"

void fs_result_text_copies(const struct staging_result *st, FILE *out)
{
    fprintf(out, "  staging       %s, %lld entries to %d cop%s: %lld up to date, %lld copied, %lld delta-updated, "
                 "%lld deleted\n",
            st->kind ? st->kind->name : "", st->entries, st->leaders, st->leaders == 1 ? "y" : "ies", st->up_to_date,
            st->copied, st->delta_updated, st->deleted);
    fprintf(out, "                %lld bytes literal, %lld matched, %lld sent; %.3f s%s\n", st->literal_bytes,
            st->matched_bytes, st->bytes_sent, st->seconds,
            st->waited_for_lock ? ", after waiting for another stage's lock" : "");
}

void fs_result_text_crossed(const struct staging_result *st, FILE *out)
{
    if (!st->crossed)
        return;
    fprintf(out, "  crossed       %lld bytes read from the shared filesystem, %lld file%s opened there; %lld bytes "
                 "between nodes\n",
            st->shared_bytes_read, st->shared_files_opened, st->shared_files_opened == 1 ? "" : "s",
            st->bytes_between_nodes);
}

void fs_result_text(const struct staging_result *st, FILE *out)
{
    if (st->kind && st->kind->render_text)
        st->kind->render_text(st, out);
    else
        fs_result_text_copies(st, out);
}

json_object *fs_result_json(const struct staging_result *st)
{
    const struct {
        const char *key;
        long long v;
    } counts[] = {
        {"entries", st->entries},         {"up_to_date", st->up_to_date},       {"copied", st->copied},
        {"delta_updated", st->delta_updated}, {"deleted", st->deleted},         {"literal_bytes", st->literal_bytes},
        {"matched_bytes", st->matched_bytes}, {"bytes_sent", st->bytes_sent},   {"leaders", st->leaders},
    };
    json_object *o = json_object_new_object();
    json_object_object_add(o, "kind", json_object_new_string(st->kind ? st->kind->name : ""));
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++)
        json_object_object_add(o, counts[i].key, json_object_new_int64(counts[i].v));
    const struct {
        const char *key;
        long long v;
    } crossed[] = {
        {"shared_bytes_read", st->shared_bytes_read},
        {"shared_files_opened", st->shared_files_opened},
        {"bytes_between_nodes", st->bytes_between_nodes},
    };
    for (size_t i = 0; i < sizeof crossed / sizeof crossed[0]; i++)
        json_object_object_add(o, crossed[i].key, st->crossed ? json_object_new_int64(crossed[i].v) : NULL);
    json_object_object_add(o, "seconds", json_object_new_double(st->seconds));
    json_object_object_add(o, "waited_for_lock", json_object_new_boolean(st->waited_for_lock));
    json_object_object_add(o, "lock_wait_s", json_object_new_double(st->lock_wait_s));
    if (st->kind && st->kind->render_json)
        json_object_object_add(o, st->kind->name, st->kind->render_json(st));
    return o;
}
