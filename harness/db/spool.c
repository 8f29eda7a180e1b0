/* spool.c: spool files. A reader never sees half a file (rename),
 * and a file survives a crash once written (fsync of file and directory). */
#include "db/spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../staging/stage.h"
#include "base/atomic_write.h"

#define SPOOL_FORMAT 1

char *spool_dir_of(const struct config *conf)
{
    if (conf->db.spool_dir)
        return strdup(conf->db.spool_dir);
    size_t n = strlen(conf->dir) + sizeof "/spool";
    char *dir = malloc(n);
    snprintf(dir, n, "%s/spool", conf->dir);
    return dir;
}

json_object *spool_envelope(const struct pending_result *p)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "spool_format", json_object_new_int(SPOOL_FORMAT));
    json_object_object_add(o, "key", json_object_new_string(p->key));
    json_object_object_add(o, "result_id", p->result_id ? json_object_new_int64(p->result_id) : NULL);
    json_object_object_add(o, "finished_at", json_object_new_string(p->finished_at));
    json_object_object_add(o, "spooled_because",
                           p->spooled_because ? json_object_new_string(p->spooled_because) : NULL);
    json_object_object_add(o, "result", json_object_get(p->result));
    return o;
}

int spool_trust_dir(const char *dir, struct err *e)
{
    int fd = stage_trusted_dir(dir, e);
    if (fd < 0)
        return err_wrap(e, "spool directory: ");
    close(fd);
    return 0;
}

int spool_write(const char *dir, const struct pending_result *p, char *path, size_t n, struct err *e)
{
    if (spool_trust_dir(dir, e) < 0)
        return -1;
    snprintf(path, n, "%s/result-%s.json", dir, p->key);
    json_object *o = spool_envelope(p);
    const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
    int rc = atomic_write(path, text, strlen(text), 0644, e);
    json_object_put(o);
    return rc < 0 ? err_wrap(e, "spool file: ") : 0;
}

static json_object *member(json_object *o, const char *key, json_type type)
{
    json_object *v = NULL;
    return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, type) ? v : NULL;
}

/* The spool file's text, read through a descriptor opened without
 * following a link or waiting for a FIFO's writer: only a regular file of
 * sane size is a spooled result. */
static int read_regular(const char *path, char **text, struct err *e)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT)
        return SPOOL_GONE;
    if (fd < 0 && (errno == ELOOP || errno == ENXIO))
        return err_set(e, EXIT_USAGE, "%s: not a spooled result: %s", path,
                       errno == ELOOP ? "a symbolic link" : "a socket");
    if (fd < 0) {
        err_sys(e, EXIT_RUNTIME, "%s: cannot open", path);
        return SPOOL_UNREADABLE;
    }
    struct stat st;
    int rc = 0;
    if (fstat(fd, &st) < 0) {
        err_sys(e, EXIT_RUNTIME, "%s: cannot stat", path);
        rc = SPOOL_UNREADABLE;
    } else if (!S_ISREG(st.st_mode))
        rc = err_set(e, EXIT_USAGE, "%s: not a spooled result: not a regular file (mode %o)", path,
                     (unsigned)st.st_mode & S_IFMT);
    else if (st.st_uid != geteuid())
        /* Only what this user wrote is sent as this user's result: another
         * user's file here is a forgery, whatever it holds. */
        rc = err_set(e, EXIT_USAGE, "%s: not a spooled result of this user: owned by uid %u, not %u", path,
                     (unsigned)st.st_uid, (unsigned)geteuid());
    else if (st.st_size > SPOOL_MAX_BYTES)
        rc = err_set(e, EXIT_USAGE, "%s: not a spooled result: larger than %d bytes", path, SPOOL_MAX_BYTES);
    if (rc < 0) {
        close(fd);
        return rc;
    }
    *text = malloc((size_t)st.st_size + 1);
    ssize_t got = pread(fd, *text, (size_t)st.st_size, 0);
    close(fd);
    if (got != st.st_size) {
        free(*text);
        err_sys(e, EXIT_RUNTIME, "%s: cannot read", path);
        return SPOOL_UNREADABLE;
    }
    (*text)[got] = '\0';
    return 0;
}

/* The key as pending_init makes it: 8-4-4-4-12 lower-case hex digits.
 * Checked before anything is sent: the database would refuse any other
 * shape on every flush, and the key names the file in rejected/. */
static int is_uuid(const char *k)
{
    for (int i = 0; i < 36; i++) {
        int dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? k[i] != '-' : !((k[i] >= '0' && k[i] <= '9') || (k[i] >= 'a' && k[i] <= 'f')))
            return 0;
    }
    return k[36] == '\0';
}

int spool_read(const char *path, struct pending_result *p, struct err *e)
{
    memset(p, 0, sizeof *p);
    char *text = NULL;
    int got = read_regular(path, &text, e);
    if (got != 0)
        return got;
    enum json_tokener_error jerr;
    json_object *o = json_tokener_parse_verbose(text, &jerr);
    free(text);
    if (!o || !json_object_is_type(o, json_type_object)) {
        json_object_put(o);
        return err_set(e, EXIT_USAGE, "%s: not a spooled result: %s", path,
                       o ? "not a JSON object" : json_tokener_error_desc(jerr));
    }
    json_object *key = member(o, "key", json_type_string), *fin = member(o, "finished_at", json_type_string);
    json_object *res = member(o, "result", json_type_object), *id = member(o, "result_id", json_type_int);
    json_object *why = member(o, "spooled_because", json_type_string), *raw_id = NULL;
    int null_id = json_object_object_get_ex(o, "result_id", &raw_id) && !raw_id;
    int rc = 0;
    if (!key || !fin || !res)
        rc = err_set(e, EXIT_USAGE, "%s: not a spooled result (it needs key, finished_at and result)", path);
    else if (json_object_get_string_len(key) != 36 || !is_uuid(json_object_get_string(key)))
        rc = err_set(e, EXIT_USAGE, "%s: not a spooled result: its key is not a UUID", path);
    else if (!null_id && (!id || json_object_get_int64(id) < 1))
        rc = err_set(e, EXIT_USAGE, "%s: result_id must be a row id or null", path);
    if (rc == 0) {
        snprintf(p->key, sizeof p->key, "%s", json_object_get_string(key));
        snprintf(p->finished_at, sizeof p->finished_at, "%s", json_object_get_string(fin));
        p->result_id = id ? json_object_get_int64(id) : 0;
        p->spooled_because = why ? strdup(json_object_get_string(why)) : NULL;
        p->result = json_object_get(res);
    }
    json_object_put(o);
    return rc;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int spool_list(const char *dir, char ***paths, int *n, struct err *e)
{
    *paths = NULL;
    *n = 0;
    struct stat st;
    if (lstat(dir, &st) < 0 && errno == ENOENT)
        return 0;
    if (spool_trust_dir(dir, e) < 0)
        return -1;
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? 0 : err_sys(e, EXIT_RUNTIME, "cannot list spool directory %s", dir);
    struct dirent *ent;
    while ((ent = readdir(d))) {
        size_t len = strlen(ent->d_name);
        if (strncmp(ent->d_name, "result-", 7) != 0 || len < 12 || strcmp(ent->d_name + len - 5, ".json") != 0)
            continue;
        size_t plen = strlen(dir) + len + 2;
        *paths = realloc(*paths, (size_t)(*n + 1) * sizeof **paths);
        (*paths)[*n] = malloc(plen);
        snprintf((*paths)[(*n)++], plen, "%s/%s", dir, ent->d_name);
    }
    closedir(d);
    if (*n > 1)
        qsort(*paths, (size_t)*n, sizeof **paths, by_name);
    return 0;
}

void spool_list_free(char **paths, int n)
{
    for (int i = 0; i < n; i++)
        free(paths[i]);
    free(paths);
}

int spool_remove(const char *path, struct err *e)
{
    if (unlink(path) < 0 && errno != ENOENT)
        return err_sys(e, EXIT_RUNTIME, "cannot remove sent spool file %s", path);
    fsync_parent(path);
    return 0;
}
