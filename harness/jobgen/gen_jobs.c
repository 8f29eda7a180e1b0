/* gen_jobs.c: --gen-jobs: one sbatch script per machine x filesystem x size
 * of the config, all checked before any is written, each written whole. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/atomic_write.h"
#include "base/dirs.h"
#include "jobgen/jobscript.h"
#include "jobgen/gen_jobs.h"

struct gen {
    const struct gen_jobs_opts *o;
    const struct config *conf;
    char *config_path;           /* absolute, for the jobs */
    char *self;                  /* this binary: the default harness */
    struct jobscript *jobs;
    int njobs;
    char **log_dirs;             /* canonical log directories, one per job */
};

static const struct size_conf *find_size(const struct machine_conf *m, const char *name)
{
    for (int i = 0; i < m->nsizes; i++)
        if (strcmp(m->sizes[i].name, name) == 0)
            return &m->sizes[i];
    return NULL;
}

/* Job names carry the node count, not the size: two sizes of one machine
 * with the same node count would write the same scripts. */
static int check_sizes_distinct(const struct config *conf, const struct machine_conf *m, struct err *e)
{
    for (int i = 0; i < m->nsizes; i++)
        for (int j = 0; j < i; j++)
            if (m->sizes[i].nodes == m->sizes[j].nodes)
                return err_set(e, EXIT_USAGE,
                               "%s:%d: machine '%s': sizes '%s' and '%s' both have %d nodes, and job names "
                               "(%s-mpi4py-import-<nodes>-<filesystem>) would collide",
                               conf->path, m->sizes[i].line, m->name, m->sizes[j].name, m->sizes[i].name,
                               m->sizes[i].nodes, m->name);
    return 0;
}

static int add_job(struct gen *g, const struct machine_conf *m, const struct fs_conf *fs,
                   const struct size_conf *size, const char *suite, int suffixed, struct err *e)
{
    struct jobscript *grown = realloc(g->jobs, ((size_t)g->njobs + 1) * sizeof *g->jobs);
    if (!grown)
        return err_sys(e, EXIT_RUNTIME, "out of memory");
    g->jobs = grown;
    const char *harness = m->harness ? m->harness : g->self;
    if (jobscript_init(&g->jobs[g->njobs], g->conf, g->config_path, harness, m, fs, size, suite, suffixed, e) < 0)
        return -1;
    g->njobs++;
    return 0;
}

/* With --machine, a machine without the asked size is an error; over all
 * machines it is skipped, as are machines without sizes. */
static int plan_machine(struct gen *g, const struct machine_conf *m, struct err *e)
{
    const char *want = g->o->size;
    if (want && !find_size(m, want)) {
        if (!g->o->machine)
            return 0;
        char known[512] = "";
        for (int i = 0; i < m->nsizes; i++)
            snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s", i ? ", " : "", m->sizes[i].name);
        return err_set(e, EXIT_USAGE, "%s:%d: machine '%s' has no size '%s' (it has: %s)", g->conf->path, m->line,
                       m->name, want, m->nsizes ? known : "none");
    }
    if (check_sizes_distinct(g->conf, m, e) < 0)
        return -1;
    for (int s = 0; s < m->nsizes; s++) {
        if (want && strcmp(m->sizes[s].name, want) != 0)
            continue;
        for (int f = 0; f < m->nfs; f++) {
            /* A machine's own statement is one job; else one per suite, the
             * first keeping the seed's name so that history continues. */
            if (m->import_stmt && add_job(g, m, &m->fs[f], &m->sizes[s], NULL, 0, e) < 0)
                return -1;
            for (int k = 0; !m->import_stmt && k < m->nsuites; k++)
                if (add_job(g, m, &m->fs[f], &m->sizes[s], m->suites[k], k > 0, e) < 0)
                    return -1;
        }
    }
    return 0;
}

static int plan(struct gen *g, struct err *e)
{
    const struct gen_jobs_opts *o = g->o;
    if (o->machine && !config_machine(g->conf, o->machine, e))
        return -1;
    for (int i = 0; i < g->conf->nmachines; i++) {
        const struct machine_conf *m = &g->conf->machines[i];
        if ((!o->machine || strcmp(m->name, o->machine) == 0) && plan_machine(g, m, e) < 0)
            return -1;
    }
    if (g->njobs > 0)
        return 0;
    if (o->machine)
        return err_set(e, EXIT_USAGE, "%s: machine '%s' has no sizes or no filesystems: no job to write",
                       g->conf->path, o->machine);
    if (o->size)
        return err_set(e, EXIT_USAGE, "%s: no machine has size '%s': no job to write", g->conf->path, o->size);
    return err_set(e, EXIT_USAGE, "%s: no machine has both sizes and filesystems: no job to write", g->conf->path);
}

/* Whole or not at all (atomic_write): cron never submits half a script. */
static int write_job(const char *dir, const struct jobscript *js, struct err *e)
{
    char final[PATH_MAX], *text = NULL;
    size_t len = 0;
    snprintf(final, sizeof final, "%s/%s.sh", dir, js->name);
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return err_sys(e, EXIT_RUNTIME, "cannot write %s", final);
    int rc = jobscript_write(f, js, e);
    if (fclose(f) != 0 && rc == 0)
        rc = err_sys(e, EXIT_RUNTIME, "cannot write %s", final);
    if (rc == 0)
        rc = atomic_write(final, text, len, 0755, e);
    free(text);
    if (rc < 0)
        return -1;
    printf("wrote %s\n", final);
    return 0;
}

/* The machine and size named in a generated script's marker line;
 * 0 when FILE is not one of ours. */
static int read_marker(const char *file, char *machine, char *size, size_t n)
{
    char buf[16384];
    FILE *f = fopen(file, "r");
    if (!f)
        return 0;
    size_t len = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[len] = '\0';
    const char *mark = strstr(buf, "\n" JOBSCRIPT_MARKER " machine=");
    if (!mark)
        return 0;
    char fmt[64];
    snprintf(fmt, sizeof fmt, "\n" JOBSCRIPT_MARKER " machine=%%%zus filesystem=%%*s size=%%%zus", n - 1, n - 1);
    return sscanf(mark, fmt, machine, size) == 2;
}

static int written(const struct gen *g, const char *file)
{
    for (int i = 0; i < g->njobs; i++) {
        size_t len = strlen(g->jobs[i].name);
        if (strncmp(file, g->jobs[i].name, len) == 0 && strcmp(file + len, ".sh") == 0)
            return 1;
    }
    return 0;
}

static int covered(const struct gen *g, const char *machine, const char *size)
{
    if (g->o->size && strcmp(size, g->o->size) != 0)
        return 0;
    for (int i = 0; i < g->njobs; i++)
        if (strcmp(g->jobs[i].m->name, machine) == 0)
            return 1;
    return 0;
}

/* A script left from a filesystem or size the config no longer has would
 * still be submitted by cron: the scripts of the machines (and size) just
 * written that this run did not write go. */
static int remove_stale(const struct gen *g, struct err *e)
{
    DIR *d = opendir(g->o->out);
    if (!d)
        return err_sys(e, EXIT_RUNTIME, "cannot list %s", g->o->out);
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t len = strlen(de->d_name);
        char path[PATH_MAX], machine[256], size[256];
        if (de->d_name[0] == '.' || len < 4 || strcmp(de->d_name + len - 3, ".sh") != 0 || written(g, de->d_name))
            continue;
        snprintf(path, sizeof path, "%s/%s", g->o->out, de->d_name);
        if (!read_marker(path, machine, size, sizeof machine) || !covered(g, machine, size))
            continue;
        if (unlink(path) < 0) {
            err_sys(e, EXIT_RUNTIME, "cannot remove the stale job script %s", path);
            break;
        }
        printf("removed %s (no longer in %s)\n", path, g->conf->path);
    }
    closedir(d);
    return e->status ? -1 : 0;
}

/* sbatch cannot open --output in a missing directory, and the job would
 * vanish without a word: the log directory is made here. */
static int make_log_dir(struct gen *g, int i, struct err *e)
{
    struct jobscript *js = &g->jobs[i];
    if (make_dirs(js->log_dir, e) < 0)
        return -1;
    g->log_dirs[i] = realpath(js->log_dir, NULL);
    if (!g->log_dirs[i])
        return err_sys(e, EXIT_RUNTIME, "cannot resolve %s", js->log_dir);
    js->log_dir = g->log_dirs[i];
    return 0;
}

static int write_all(struct gen *g, struct err *e)
{
    g->log_dirs = calloc((size_t)g->njobs, sizeof *g->log_dirs);
    if (!g->log_dirs || make_dirs(g->o->out, e) < 0)
        return g->log_dirs ? -1 : err_sys(e, EXIT_RUNTIME, "out of memory");
    for (int i = 0; i < g->njobs; i++)
        if (make_log_dir(g, i, e) < 0 || write_job(g->o->out, &g->jobs[i], e) < 0)
            return -1;
    return remove_stale(g, e);
}

int gen_jobs(const struct gen_jobs_opts *o, struct err *e)
{
    struct config conf;
    if (config_load_flags(o->config, CONFIG_DEFER_UNSET_VARS, &conf, e) < 0)
        return e->status;
    struct gen g = {.o = o, .conf = &conf};
    g.config_path = realpath(o->config, NULL);
    g.self = realpath("/proc/self/exe", NULL);
    if (!g.config_path || !g.self)
        err_sys(e, EXIT_RUNTIME, "cannot resolve the path of %s", g.config_path ? "this harness" : o->config);
    else if (plan(&g, e) == 0)
        write_all(&g, e);
    for (int i = 0; g.log_dirs && i < g.njobs; i++)
        free(g.log_dirs[i]);
    free(g.log_dirs);
    free(g.jobs);
    free(g.config_path);
    free(g.self);
    config_free(&conf);
    return e->status;
}
