/* render_text.c: the human-readable result table, in the spirit of
 * mdtest's summary: one row per phase, per-rank statistics in columns. */
#include <stdio.h>
#include <string.h>

#include "output/render.h"

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

/* The probe's figure, or why there is none; nothing without a probe. */
static void server_ops_line(const struct run_result *r, FILE *out)
{
    const struct server_ops *so = &r->server_ops;
    if (!so->probed)
        return;
    if (!so->available) {
        fprintf(out, "  server ops    unavailable (%s)\n", so->reason);
        return;
    }
    char probed[64];
    if (strcmp(so->scope, "job") == 0)
        snprintf(probed, sizeof probed, "job scope, read by rank 0");
    else
        snprintf(probed, sizeof probed, "node scope, %d node%s summed", so->nodes, so->nodes == 1 ? "" : "s");
    fprintf(out, "  server ops    %lld over the import phase (%s), %.1f per rank per import:", so->total, probed,
            server_ops_per_rank_import(r));
    for (int i = 0; i < so->delta.n; i++)
        fprintf(out, " %s %lld%s", so->delta.c[i].name, (long long)so->delta.c[i].value,
                so->delta.c[i].reset ? " (reset, not counted)" : "");
    if (so->delta.dropped)
        fprintf(out, "; %d more counters not kept", so->delta.dropped);
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

static void profile_lines(const struct import_profile *p, FILE *out)
{
    if (!p->done)
        return;
    fprintf(out, "\nimport profile (-X importtime, microseconds over ranks)\n");
    fprintf(out, "  %-40s %10s %10s %12s %12s %6s\n", "module", "self med", "self max", "cumul med", "cumul max",
            "ranks");
    for (int i = 0; i < p->n; i++) {
        const struct profile_module *m = &p->top[i];
        fprintf(out, "  %-40s %10.0f %10.0f %12.0f %12.0f %6d\n", m->module, m->self_median_us, m->self_max_us,
                m->cumulative_median_us, m->cumulative_max_us, m->ranks);
    }
}

void render_text(const struct run_result *r, FILE *out)
{
    const struct setup_info *s = &r->setup;
    fprintf(out, "\nmpi4py-import: %s on %s/%s (%s), %d ranks on %d node%s\n", r->import_stmt, r->machine,
            r->filesystem, r->fs_kind, r->ranks, r->nodes, r->nodes == 1 ? "" : "s");
    if (r->suite)
        fprintf(out, "  suite         %s\n", r->suite);
    fprintf(out, "  started       %s UTC%s%s\n", r->started_at, r->job_id[0] ? ", Slurm job " : "", r->job_id);
    fprintf(out, "  venv          %s\n", r->venv);
    if (r->staging.done)
        fs_result_text(&r->staging, out);
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
    if (r->staging.done)
        fprintf(out, "  first import  %.3f s after the staging began (staging %.3f s + import elapsed)\n",
                run_first_import_s(r), r->staging.seconds);
    int left = s->leftover_descendants + imp->leftover_descendants + st->leftover_descendants;
    if (left)
        fprintf(out, "  leftovers     %d processes the children left running were killed (set-up %d, import %d, "
                     "startup %d)\n",
                left, s->leftover_descendants, imp->leftover_descendants, st->leftover_descendants);
    server_ops_line(r, out);
    fprintf(out, "  harness wall  %.3f s from the run's first barrier to the end of its phases (rank 0)\n",
            r->harness_wall_s);
    if (r->has_launch)
        fprintf(out, "  launch        %.3f s from --launch-start to the import's first barrier; original figure "
                     "%.3f s (to the import's end)\n",
                r->launch_s, r->original_s);
    profile_lines(&r->profile, out);
    failure_lines(imp, "import", out);
    failure_lines(st, "startup", out);
}
