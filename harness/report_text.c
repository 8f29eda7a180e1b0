/* report_text.c: the human-readable result table, in the spirit of
 * mdtest's summary: one row per phase, per-rank statistics in columns. */
#include <string.h>

#include "report.h"

static void phase_row(const struct phase_summary *p, const char *name, FILE *out)
{
    if (!p->ran)
        return;
    const struct stats *s = &p->per_rank;
    fprintf(out, "%-8s %9.3f %8.3f %8.3f %8.3f %8.3f %8.3f %8.3f %6d %6d %7d\n", name, p->elapsed_s, s->min,
            s->median, s->p90, s->p99, s->max, s->mean, p->ok, p->failed, p->timed_out);
}

static void metaops_lines(const struct metaops *m, FILE *out)
{
    if (!m->available) {
        fprintf(out, "  metadata ops  unavailable (%s)\n", m->reason);
        return;
    }
    fprintf(out, "  metadata ops  %ld per import, %ld failed, %ld ENOENT:", m->total, m->failed, m->enoent);
    for (int i = 0; i < m->ncalls; i++)
        fprintf(out, " %s %ld", m->calls[i].name, m->calls[i].count);
    fputc('\n', out);
}

static void failure_lines(const struct phase_summary *p, const char *name, FILE *out)
{
    if (!p->ran || p->first_failed_rank < 0)
        return;
    fprintf(out, "\n%s phase: %d failed, %d timed out; first failure rank %d, exit %d, its stderr ends:\n", name,
            p->failed, p->timed_out, p->first_failed_rank, p->first_failed_exit);
    fprintf(out, "%s%s", p->first_error[0] ? p->first_error : "(nothing on stderr)\n",
            p->first_error[0] && p->first_error[strlen(p->first_error) - 1] != '\n' ? "\n" : "");
}

static double field(json_object *o, const char *a, const char *b)
{
    json_object *x, *y;
    if (!json_object_object_get_ex(o, a, &x) || !json_object_object_get_ex(x, b, &y))
        return 0;
    return json_object_get_double(y);
}

static void profile_lines(json_object *prof, FILE *out)
{
    json_object *mods;
    if (!prof || !json_object_object_get_ex(prof, "modules", &mods))
        return;
    fprintf(out, "\nimport profile (-X importtime, microseconds over ranks)\n");
    fprintf(out, "  %-40s %10s %10s %12s %12s %6s\n", "module", "self med", "self max", "cumul med", "cumul max",
            "ranks");
    for (size_t i = 0; i < json_object_array_length(mods); i++) {
        json_object *m = json_object_array_get_idx(mods, i), *name, *ranks;
        json_object_object_get_ex(m, "module", &name);
        json_object_object_get_ex(m, "ranks", &ranks);
        fprintf(out, "  %-40s %10.0f %10.0f %12.0f %12.0f %6d\n", json_object_get_string(name),
                field(m, "self_us", "median"), field(m, "self_us", "max"), field(m, "cumulative_us", "median"),
                field(m, "cumulative_us", "max"), json_object_get_int(ranks));
    }
}

static long long get_int(json_object *o, const char *key)
{
    json_object *v;
    return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : 0;
}

static double get_double(json_object *o, const char *key)
{
    json_object *v;
    return json_object_object_get_ex(o, key, &v) ? json_object_get_double(v) : 0;
}

static int is_bcast(json_object *staging)
{
    json_object *v;
    return json_object_object_get_ex(staging, "kind", &v) && strcmp(json_object_get_string(v), "bcast") == 0;
}

/* Rank 0's payload counts once however many nodes it reached. */
static void bcast_staging_text(json_object *st, FILE *out)
{
    fprintf(out,
            "  bcast         %lld entries to %lld node copies: %lld up to date, %lld files sent whole, %lld as deltas\n",
            get_int(st, "entries"), get_int(st, "leaders"), get_int(st, "up_to_date"), get_int(st, "full_files"),
            get_int(st, "delta_files"));
    fprintf(out, "                %lld bytes sent, %lld signature bytes back; deltas %lld literal, %lld matched; %.3f s\n",
            get_int(st, "bytes_sent"), get_int(st, "signature_bytes"), get_int(st, "literal_bytes"),
            get_int(st, "matched_bytes"), get_double(st, "seconds"));
}

void report_staging_text(json_object *staging, FILE *out)
{
    json_object *v;
    if (is_bcast(staging)) {
        bcast_staging_text(staging, out);
        return;
    }
    double seconds = get_double(staging, "seconds");
    int waited = json_object_object_get_ex(staging, "waited_for_lock", &v) && json_object_get_boolean(v);
    fprintf(out, "  staging       %lld entries: %lld up to date, %lld copied, %lld delta-updated, %lld deleted\n",
            get_int(staging, "entries"), get_int(staging, "up_to_date"), get_int(staging, "copied"),
            get_int(staging, "delta_updated"), get_int(staging, "deleted"));
    fprintf(out, "                %lld bytes literal, %lld matched, %.3f s%s\n", get_int(staging, "literal_bytes"),
            get_int(staging, "matched_bytes"), seconds, waited ? ", after waiting for another stage's lock" : "");
}

void report_text(const struct run_result *r, FILE *out)
{
    const struct setup_info *s = &r->setup;
    fprintf(out, "\nmpi4py-import: %s on %s/%s (%s), %d ranks on %d node%s\n", r->import_stmt, r->machine,
            r->filesystem, r->fs_kind, r->ranks, r->nodes, r->nodes == 1 ? "" : "s");
    if (r->suite)
        fprintf(out, "  suite         %s\n", r->suite);
    fprintf(out, "  started       %s UTC%s%s\n", r->started_at, r->job_id[0] ? ", Slurm job " : "", r->job_id);
    fprintf(out, "  venv          %s\n", r->venv);
    if (r->staging)
        report_staging_text(r->staging, out);
    if (s->checked) {
        fprintf(out, "  python        %s %s, numpy %s\n", s->python, s->python_version,
                s->numpy_version[0] ? s->numpy_version : "not imported");
        fprintf(out, "  modules       %s\n", s->modules[0] ? s->modules : "(none found)");
        fprintf(out, "  warm-up       %.3f s in one process (writes bytecode)\n", s->warmup_s);
        metaops_lines(&s->meta, out);
    }
    fprintf(out, "\nseconds   elapsed      min   median      p90      p99      max     mean     ok failed timeout\n");
    phase_row(&r->phase[PHASE_IMPORT], "import", out);
    phase_row(&r->phase[PHASE_STARTUP], "startup", out);
    if (r->repeats > 1)
        fprintf(out, "\n  %d repeats: per-rank columns and counts cover all of them, elapsed is their median\n",
                r->repeats);
    const struct phase_summary *imp = &r->phase[PHASE_IMPORT], *st = &r->phase[PHASE_STARTUP];
    fprintf(out, "\n  elapsed: first barrier to last, the longest span of any rank; the other columns are per rank, barrier to waitpid\n");
    fprintf(out, "  slowest rank  %d on %s, %.3f s\n", imp->slowest_rank, imp->slowest_host, imp->per_rank.max);
    if (st->ran)
        fprintf(out, "  import cost   %.3f s per rank (median import - median startup)\n",
                imp->per_rank.median - st->per_rank.median);
    if (r->staging)
        fprintf(out, "  first import  %.3f s after the staging began (staging %.3f s + import elapsed)\n",
                report_first_import_s(r), get_double(r->staging, "seconds"));
    profile_lines(r->import_profile, out);
    failure_lines(imp, "import", out);
    failure_lines(st, "startup", out);
}
