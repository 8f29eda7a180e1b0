/* rejected.c: the rejected/ directory of the spool: what a person has to
 * look at, each with the reason it was set aside. */
#include "db/rejected.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/atomic_write.h"
#include "db/spool.h"

char *rejected_dir_of(const char *spool_dir)
{
    size_t n = strlen(spool_dir) + sizeof "/rejected";
    char *dir = malloc(n);
    snprintf(dir, n, "%s/rejected", spool_dir);
    return dir;
}

int rejected_keep(const char *spool_dir, const struct pending_result *p, const char *why, char *path, size_t n,
                  struct err *e)
{
    char *dir = rejected_dir_of(spool_dir);
    int rc = spool_trust_dir(dir, e);
    snprintf(path, n, "%s/result-%s.json", dir, p->key);
    free(dir);
    if (rc < 0)
        return err_wrap(e, "rejected results: ");
    json_object *o = spool_envelope(p);
    json_object_object_add(o, "rejected_because", json_object_new_string(why));
    const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
    rc = atomic_write(path, text, strlen(text), 0644, e);
    json_object_put(o);
    return rc < 0 ? err_wrap(e, "rejected result: ") : 0;
}

int rejected_set_aside(const char *spool_dir, const char *file, const char *why, struct err *e)
{
    char *dir = rejected_dir_of(spool_dir);
    const char *slash = strrchr(file, '/');
    const char *name = slash ? slash + 1 : file;
    size_t n = strlen(dir) + strlen(name) + sizeof "/.reason";
    char *to = malloc(n), *reason = malloc(n);
    snprintf(to, n, "%s/%s", dir, name);
    snprintf(reason, n, "%s/%s.reason", dir, name);
    size_t len = strlen(why);
    char *line = malloc(len + 2);
    memcpy(line, why, len);
    memcpy(line + len, "\n", 2);
    int rc = spool_trust_dir(dir, e);
    /* The reason first: a crash in between leaves a reason for a file
     * still in the spool (set aside again next time), never a file
     * without its reason. */
    if (rc == 0)
        rc = atomic_write(reason, line, len + 1, 0644, e);
    if (rc == 0 && rename(file, to) < 0)
        rc = err_sys(e, EXIT_RUNTIME, "cannot move %s to %s", file, to);
    if (rc == 0) {
        fsync_parent(to);
        fsync_parent(file);
    }
    free(line);
    free(reason);
    free(to);
    free(dir);
    return rc;
}
