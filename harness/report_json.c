/* report_json.c: the run as one JSON object built with json-c; keys are
 * a contract with the database and scripts, times are in seconds. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report.h"

static json_object *str_or_null(const char *s)
{
    return s && s[0] ? json_object_new_string(s) : NULL;
}

static json_object *stats_json(const struct stats *s)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "min", json_object_new_double(s->min));
    json_object_object_add(o, "median", json_object_new_double(s->median));
    json_object_object_add(o, "p90", json_object_new_double(s->p90));
    json_object_object_add(o, "p99", json_object_new_double(s->p99));
    json_object_object_add(o, "max", json_object_new_double(s->max));
    json_object_object_add(o, "mean", json_object_new_double(s->mean));
    return o;
}

static json_object *metaops_json(const struct metaops *m)
{
    if (!m->available)
        return NULL;
    json_object *o = json_object_new_object();
    for (int i = 0; i < m->ncalls; i++)
        json_object_object_add(o, m->calls[i].name, json_object_new_int64(m->calls[i].count));
    json_object_object_add(o, "total", json_object_new_int64(m->total));
    json_object_object_add(o, "failed", json_object_new_int64(m->failed));
    json_object_object_add(o, "enoent", json_object_new_int64(m->enoent));
    return o;
}

static json_object *modules_json(const char *modules)
{
    json_object *o = json_object_new_object();
    char *copy = strdup(modules), *save = NULL;
    for (char *item = strtok_r(copy, ";", &save); item; item = strtok_r(NULL, ";", &save)) {
        char *eq = strchr(item, '=');
        if (!eq)
            continue;
        *eq = '\0';
        json_object_object_add(o, item, json_object_new_string(eq + 1));
    }
    free(copy);
    return o;
}

static json_object *first_failure_json(const struct phase_summary *p)
{
    if (p->first_failed_rank < 0)
        return NULL;
    json_object *o = json_object_new_object();
    json_object_object_add(o, "rank", json_object_new_int(p->first_failed_rank));
    json_object_object_add(o, "exit_code", json_object_new_int(p->first_failed_exit));
    json_object_object_add(o, "stderr", json_object_new_string(p->first_error));
    return o;
}

static json_object *startup_json(const struct phase_summary *p)
{
    if (!p->ran)
        return NULL;
    json_object *o = stats_json(&p->per_rank);
    json_object_object_add(o, "elapsed_s", json_object_new_double(p->elapsed_s));
    json_object_object_add(o, "failed", json_object_new_int(p->failed));
    json_object_object_add(o, "timed_out", json_object_new_int(p->timed_out));
    return o;
}

double report_first_import_s(const struct run_result *r)
{
    json_object *v;
    double staging = r->staging && json_object_object_get_ex(r->staging, "seconds", &v) ? json_object_get_double(v) : 0;
    return staging + r->phase[PHASE_IMPORT].elapsed_s;
}

json_object *report_json(const struct run_result *r)
{
    const struct phase_summary *imp = &r->phase[PHASE_IMPORT];
    const struct setup_info *s = &r->setup;
    json_object *o = json_object_new_object();
    json_object_object_add(o, "machine", json_object_new_string(r->machine));
    json_object_object_add(o, "filesystem", json_object_new_string(r->filesystem));
    json_object_object_add(o, "fs_kind", json_object_new_string(r->fs_kind));
    json_object_object_add(o, "venv", json_object_new_string(r->venv));
    json_object_object_add(o, "ranks", json_object_new_int(r->ranks));
    json_object_object_add(o, "nodes", json_object_new_int(r->nodes));
    json_object_object_add(o, "repeats", json_object_new_int(r->repeats));
    json_object_object_add(o, "suite", str_or_null(r->suite));
    json_object_object_add(o, "import_statement", json_object_new_string(r->import_stmt));
    json_object_object_add(o, "elapsed_s", json_object_new_double(imp->elapsed_s));
    json_object_object_add(o, "time_to_first_import_s", json_object_new_double(report_first_import_s(r)));
    json_object_object_add(o, "per_rank", stats_json(&imp->per_rank));
    json_object_object_add(o, "startup", startup_json(&r->phase[PHASE_STARTUP]));
    json_object_object_add(o, "ok", json_object_new_int(imp->ok));
    json_object_object_add(o, "failed", json_object_new_int(imp->failed));
    json_object_object_add(o, "timed_out", json_object_new_int(imp->timed_out));
    json_object *slow = json_object_new_object();
    json_object_object_add(slow, "rank", json_object_new_int(imp->slowest_rank));
    json_object_object_add(slow, "host", json_object_new_string(imp->slowest_host));
    json_object_object_add(slow, "seconds", json_object_new_double(imp->per_rank.max));
    json_object_object_add(o, "slowest", slow);
    json_object_object_add(o, "first_failure", first_failure_json(imp));
    json_object_object_add(o, "metadata_ops", s->checked ? metaops_json(&s->meta) : NULL);
    if (s->checked && !s->meta.available)
        json_object_object_add(o, "metadata_ops_unavailable", json_object_new_string(s->meta.reason));
    json_object_object_add(o, "python_executable", str_or_null(s->python));
    json_object_object_add(o, "python_version", str_or_null(s->python_version));
    json_object_object_add(o, "numpy_version", str_or_null(s->numpy_version));
    json_object_object_add(o, "modules", s->checked ? modules_json(s->modules) : NULL);
    json_object_object_add(o, "warmup_s", s->checked ? json_object_new_double(s->warmup_s) : NULL);
    json_object_object_add(o, "import_profile", r->import_profile ? json_object_get(r->import_profile) : NULL);
    json_object_object_add(o, "staging", r->staging ? json_object_get(r->staging) : NULL);
    json_object_object_add(o, "started_at", json_object_new_string(r->started_at));
    json_object_object_add(o, "job_id", str_or_null(r->job_id));
    json_object_object_add(o, "slurm_nodes", r->slurm_nodes ? json_object_new_int(r->slurm_nodes) : NULL);
    return o;
}

int report_json_write(json_object *obj, const char *path, struct err *e)
{
    const char *text = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
    if (strcmp(path, "-") == 0) {
        if (printf("%s\n", text) < 0 || fflush(stdout) != 0)
            return err_sys(e, EXIT_RUNTIME, "writing JSON to stdout");
        return 0;
    }
    size_t n = strlen(path) + 16;
    char *tmp = malloc(n);
    snprintf(tmp, n, "%s.tmpXXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        err_sys(e, EXIT_RUNTIME, "cannot write JSON to %s", path);
        free(tmp);
        return -1;
    }
    FILE *f = fdopen(fd, "w");
    int bad = fprintf(f, "%s\n", text) < 0;
    bad |= fflush(f) != 0 || fsync(fd) != 0;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        err_sys(e, EXIT_RUNTIME, "cannot write JSON to %s", path);
        unlink(tmp);
        free(tmp);
        return -1;
    }
    free(tmp);
    return 0;
}
