/* render_json.c: the run as one JSON object built with json-c from the
 * typed result; keys are a contract with the database and scripts
 * (sql/schema.sql reads them), times are in seconds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/named_output.h"
#include "output/render.h"

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

/* Per phase: processes a child left running when it ended, killed then. */
static json_object *leftovers_json(const struct run_result *r)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "setup", r->setup.checked ? json_object_new_int(r->setup.leftover_descendants) : NULL);
    json_object_object_add(o, "import", json_object_new_int(r->phase[PHASE_IMPORT].leftover_descendants));
    json_object_object_add(o, "startup", r->phase[PHASE_STARTUP].ran
                                             ? json_object_new_int(r->phase[PHASE_STARTUP].leftover_descendants)
                                             : NULL);
    return o;
}

static json_object *median_max(double median, double max)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "median", json_object_new_double(median));
    json_object_object_add(o, "max", json_object_new_double(max));
    return o;
}

static json_object *profile_json(const struct import_profile *p)
{
    if (!p->done)
        return NULL;
    json_object *mods = json_object_new_array();
    for (int i = 0; i < p->n; i++) {
        const struct profile_module *m = &p->top[i];
        json_object *o = json_object_new_object();
        json_object_object_add(o, "module", json_object_new_string(m->module));
        json_object_object_add(o, "ranks", json_object_new_int(m->ranks));
        json_object_object_add(o, "self_us", median_max(m->self_median_us, m->self_max_us));
        json_object_object_add(o, "cumulative_us", median_max(m->cumulative_median_us, m->cumulative_max_us));
        json_object_array_add(mods, o);
    }
    json_object *res = json_object_new_object();
    json_object_object_add(res, "ranks", json_object_new_int(p->ranks));
    json_object_object_add(res, "modules_seen", json_object_new_int(p->modules_seen));
    json_object_object_add(res, "modules", mods);
    return res;
}

/* Absent without a probe; {"error": why} when it failed. */
static json_object *server_ops_json(const struct run_result *r)
{
    const struct server_ops *so = &r->server_ops;
    json_object *o = json_object_new_object();
    if (!so->available) {
        json_object_object_add(o, "error", json_object_new_string(so->reason));
        return o;
    }
    json_object *counters = json_object_new_object(), *reset = json_object_new_array();
    for (int i = 0; i < so->delta.n; i++) {
        json_object_object_add(counters, so->delta.c[i].name, json_object_new_int64(so->delta.c[i].value));
        if (so->delta.c[i].reset)
            json_object_array_add(reset, json_object_new_string(so->delta.c[i].name));
    }
    json_object_object_add(o, "scope", json_object_new_string(so->scope));
    json_object_object_add(o, "nodes", json_object_new_int(so->nodes));
    json_object_object_add(o, "total", json_object_new_int64(so->total));
    json_object_object_add(o, "per_rank_import", json_object_new_double(server_ops_per_rank_import(r)));
    json_object_object_add(o, "counters", counters);
    json_object_object_add(o, "reset", reset);
    json_object_object_add(o, "dropped", json_object_new_int(so->delta.dropped));
    return o;
}

json_object *render_json(const struct run_result *r)
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
    json_object_object_add(o, "status", json_object_new_string(run_status_name(r->status)));
    json_object_object_add(o, "elapsed_s", json_object_new_double(imp->elapsed_s));
    json_object_object_add(o, "time_to_first_import_s", json_object_new_double(run_first_import_s(r)));
    json_object_object_add(o, "harness_wall_s", json_object_new_double(r->harness_wall_s));
    json_object_object_add(o, "launch_s", r->has_launch ? json_object_new_double(r->launch_s) : NULL);
    json_object_object_add(o, "original_s", r->has_launch ? json_object_new_double(r->original_s) : NULL);
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
    json_object_object_add(o, "leftover_descendants", leftovers_json(r));
    json_object_object_add(o, "metadata_ops", s->checked ? metaops_json(&s->meta) : NULL);
    if (s->checked && !s->meta.available)
        json_object_object_add(o, "metadata_ops_unavailable", json_object_new_string(s->meta.reason));
    json_object_object_add(o, "python_executable", str_or_null(s->python));
    json_object_object_add(o, "python_version", str_or_null(s->python_version));
    json_object_object_add(o, "numpy_version", str_or_null(s->numpy_version));
    json_object_object_add(o, "modules", s->checked ? modules_json(s->modules) : NULL);
    json_object_object_add(o, "warmup_s", s->checked ? json_object_new_double(s->warmup_s) : NULL);
    json_object_object_add(o, "import_profile", profile_json(&r->profile));
    json_object_object_add(o, "staging", r->staging.done ? fs_result_json(&r->staging) : NULL);
    if (r->server_ops.probed)
        json_object_object_add(o, "server_ops", server_ops_json(r));
    json_object_object_add(o, "started_at", json_object_new_string(r->started_at));
    json_object_object_add(o, "job_id", str_or_null(r->job_id));
    json_object_object_add(o, "slurm_nodes", r->slurm_nodes ? json_object_new_int(r->slurm_nodes) : NULL);
    return o;
}

int render_json_write(json_object *obj, const char *path, struct err *e)
{
    const char *text = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
    if (strcmp(path, "-") == 0) {
        if (printf("%s\n", text) < 0 || fflush(stdout) != 0)
            return err_sys(e, EXIT_RUNTIME, "writing JSON to stdout");
        return 0;
    }
    size_t len = strlen(text);
    char *line = malloc(len + 2);
    memcpy(line, text, len);
    memcpy(line + len, "\n", 2);
    int rc = named_output_write(path, line, len + 1, 0644, e);
    free(line);
    return rc < 0 ? err_wrap(e, "JSON result: ") : 0;
}
