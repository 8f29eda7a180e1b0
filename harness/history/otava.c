/* otava.c: the setups' series as files in a private temporary directory,
 * one python of otava's venv running otava's analysis over all of them,
 * and its output (otava analyze's JSON, one object per test and line) read back. */
#include "history/otava.h"

#include <fcntl.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/beside_exe.h"
#include "proc/spawn.h"

/* otava's default significance; shifts under 5% of the mean are within
 * the run-to-run scatter of a shared filesystem, not worth a mail. (In
 * 0.8.0 the long option is registered as "-P, --p-value": -P works.) */
#define OTAVA_MAX_PVALUE "0.001"
#define OTAVA_MIN_MAGNITUDE "0.05"
#define OTAVA_TIMEOUT 600.0
#define OTAVA_OUTPUT_MAX (16u << 20)

/* The python of otava's venv: beside the otava program. */
static char *python_beside(const char *otava)
{
    size_t n = strlen(otava) + 16;
    char *py = malloc(n);
    snprintf(py, n, "%s", otava);
    char *slash = strrchr(py, '/');
    snprintf(slash ? slash + 1 : py, n - (size_t)(slash ? slash + 1 - py : 0), "python");
    return py;
}

char *otava_find(char *why, size_t len)
{
    const char *env = getenv("HARNESS_OTAVA");
    if (env && env[0]) {
        if (access(env, X_OK) == 0)
            return strdup(env);
        snprintf(why, len, "$HARNESS_OTAVA (%s) is not an executable", env);
        return NULL;
    }
    char dir[4096];
    char *found = beside_exe("tools-venv/bin/otava", X_OK, dir, sizeof dir);
    if (!found) {
        snprintf(why, len, "no tools-venv/bin/otava beside %s or up to two directories above it "
                 "(make tools builds build/tools-venv; or set HARNESS_OTAVA)", dir);
        return NULL;
    }
    char *py = python_beside(found);
    free(found);
    if (access(py, X_OK) == 0)
        return py;
    snprintf(why, len, "%s, the python of otava's venv, is not an executable", py);
    free(py);
    return NULL;
}

/* A new file NAME in the private directory DFD, never through a link. */
static FILE *create_in(int dfd, const char *name, struct err *e)
{
    int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    FILE *f = fd < 0 ? NULL : fdopen(fd, "w");
    if (!f) {
        if (fd >= 0)
            close(fd);
        err_sys(e, EXIT_RUNTIME, "report: creating %s for otava", name);
    }
    return f;
}

static int close_file(FILE *f, const char *name, struct err *e)
{
    int bad = ferror(f);
    if (fclose(f) != 0 || bad)
        return err_sys(e, EXIT_RUNTIME, "report: writing %s for otava", name);
    return 0;
}

/* "unix-seconds value" per line: the times otava's CSV importer would
 * reach after parsing each date (it keeps whole seconds). */
static int write_series(int dfd, int i, const struct setup *s, struct err *e)
{
    char name[64];
    snprintf(name, sizeof name, "s%d.tsv", i);
    FILE *f = create_in(dfd, name, e);
    if (!f)
        return -1;
    for (int j = 0; j < s->nok; j++)
        fprintf(f, "%lld %.9g\n", (long long)floor(s->ok_t[j]), s->ok_y[j]);
    return close_file(f, name, e);
}

static void add_change(struct setup *s, double t, int index, double pvalue)
{
    s->changes = realloc(s->changes, (size_t)(s->nchanges + 1) * sizeof *s->changes);
    s->changes[s->nchanges++] = (struct change){.t = t, .index = index, .pvalue = pvalue,
                                                .median_before = NAN, .median_after = NAN, .ratio = NAN};
}

/* What otava printed is not the shape asked for: an error, never "no
 * change" (a wrong or broken otava must not pass --fail-on-regression). */
static int misshapen(struct err *e, const char *test, const char *what)
{
    return err_set(e, EXIT_RUNTIME, "report: otava's output is not what otava analyze --output json prints: %s%s%s",
                   test ? test : "", test ? ": " : "", what);
}

/* A change's "time" is the first run after it, to the second, as written. */
static int take_change(struct setup *s, const char *test, json_object *ch, struct err *e)
{
    json_object *time, *pv;
    if (!json_object_is_type(ch, json_type_object) || !json_object_object_get_ex(ch, "time", &time) ||
        !json_object_is_type(time, json_type_int) || !json_object_object_get_ex(ch, "pvalue", &pv))
        return misshapen(e, test, "a change without an integer time and a pvalue");
    long long when = json_object_get_int64(time);
    for (int j = 0; j < s->nok; j++)
        if ((long long)floor(s->ok_t[j]) == when) {
            add_change(s, s->ok_t[j], j, atof(json_object_get_string(pv)));
            return 0;
        }
    return misshapen(e, test, "a change at a time that is no run of the series");
}

/* GROUPS: [{"time": T, "changes": [{...}, ...]}, ...] for the setup S. */
static int take_groups(struct setup *s, const char *test, json_object *groups, struct err *e)
{
    if (!json_object_is_type(groups, json_type_array))
        return misshapen(e, test, "not an array of change groups");
    for (size_t g = 0; g < json_object_array_length(groups); g++) {
        json_object *group = json_object_array_get_idx(groups, g), *changes;
        if (!json_object_is_type(group, json_type_object) || !json_object_object_get_ex(group, "changes", &changes) ||
            !json_object_is_type(changes, json_type_array))
            return misshapen(e, test, "a change group without a changes array");
        for (size_t c = 0; c < json_object_array_length(changes); c++)
            if (take_change(s, test, json_object_array_get_idx(changes, c), e) < 0)
                return -1;
    }
    return 0;
}

/* The setup index a test name s<i> stands for, if it was analysed; else -1. */
static int test_index(const char *key, const struct history *h)
{
    char *end;
    if (key[0] != 's' || key[1] < '0' || key[1] > '9')
        return -1;
    long i = strtol(key + 1, &end, 10);
    return *end || i >= h->n || h->s[i].nok < OTAVA_MIN_RUNS ? -1 : (int)i;
}

/* One line: {"s3": [{"time": T, "changes": [{...}, ...]}, ...]}; SEEN[i]
 * marks each setup it answers for. */
static int take_line(const char *line, struct history *h, char *seen, struct err *e)
{
    json_object *o = json_tokener_parse(line);
    if (!o || !json_object_is_type(o, json_type_object)) {
        json_object_put(o);
        return err_set(e, EXIT_RUNTIME, "report: otava printed a line that is not a JSON object: %.200s", line);
    }
    int rc = 0;
    json_object_object_foreach(o, key, groups) {
        int i = test_index(key, h);
        rc = i < 0 ? misshapen(e, key, "a test that was not asked for") : take_groups(&h->s[i], key, groups, e);
        if (rc < 0)
            break;
        seen[i] = 1;
    }
    json_object_put(o);
    return rc;
}

/* Every analysed setup must be answered for: output without it (nothing,
 * "{}", a log line) says nothing about its changes. */
static int parse_output(char *out, struct history *h, struct err *e)
{
    char *save = NULL, *seen = calloc((size_t)h->n + 1, 1);
    int rc = 0;
    for (char *line = strtok_r(out, "\n", &save); line && rc == 0; line = strtok_r(NULL, "\n", &save))
        if (line[0] == '{')
            rc = take_line(line, h, seen, e);
    for (int i = 0; rc == 0 && i < h->n; i++)
        if (h->s[i].nok >= OTAVA_MIN_RUNS && !seen[i]) {
            char label[1024], what[1200];
            setup_label(&h->s[i], label, sizeof label);
            snprintf(what, sizeof what, "no result for %s (test s%d)", label, i);
            rc = misshapen(e, NULL, what);
        }
    free(seen);
    return rc;
}

/* Otava's own analysis, as `otava analyze --output json` runs it on each
 * test, through its Python API in one process: its CSV importer parses
 * each date with dateparser, about 5 ms a row, which made a decade of
 * runs take minutes; the series go in as unix seconds instead. ARGV:
 * the directory, the p-value, the magnitude, then the tests. */
static const char analyze_py[] =
    "import sys\n"
    "from otava.report import Report, ReportType\n"
    "from otava.series import AnalysisOptions, Metric, Series\n"
    "opts = AnalysisOptions()\n"
    "opts.max_pvalue, opts.min_magnitude = float(sys.argv[2]), float(sys.argv[3])\n"
    "for name in sys.argv[4:]:\n"
    "    t, v = [], []\n"
    "    with open(sys.argv[1] + '/' + name + '.tsv') as f:\n"
    "        for line in f:\n"
    "            a, b = line.split()\n"
    "            t.append(int(a))\n"
    "            v.append(float(b))\n"
    "    s = Series(name, None, t, {'elapsed_s': Metric(1, 1.0)}, {'elapsed_s': v}, {})\n"
    "    cps = s.analyze(opts).change_points_by_time\n"
    "    print(Report(s, cps).produce_report(name, ReportType.JSON), flush=True)\n";

/* -I: no PYTHONPATH, user site or current directory in the tools' way. */
static char **analyze_argv(const char *python, const char *dir, const struct history *h)
{
    char **argv = calloc((size_t)h->n + 10, sizeof *argv);
    const char *fixed[] = {"-I", "-c", analyze_py, dir, OTAVA_MAX_PVALUE, OTAVA_MIN_MAGNITUDE};
    int k = 0;
    argv[k++] = strdup(python);
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        argv[k++] = strdup(fixed[i]);
    for (int i = 0; i < h->n; i++)
        if (h->s[i].nok >= OTAVA_MIN_RUNS) {
            char name[32];
            snprintf(name, sizeof name, "s%d", i);
            argv[k++] = strdup(name);
        }
    return argv;
}

static void free_argv(char **argv)
{
    for (char **p = argv; *p; p++)
        free(*p);
    free(argv);
}

static int run_otava(const char *python, const char *dir, struct history *h, struct err *e)
{
    char **argv = analyze_argv(python, dir, h);
    struct spawn_job job;
    struct child_result res;
    int rc = -1;
    if (spawn_prepare(&job, argv, environ, 1, e) < 0) {
        free_argv(argv);
        return -1;
    }
    if (spawn_run(&job, OTAVA_TIMEOUT, &res, e) == 0 && !e->status) {
        char *out = spawn_captured(job.out_fd, OTAVA_OUTPUT_MAX), *why = spawn_stderr_line(&job, 600);
        if (res.status != CHILD_OK)
            err_set(e, EXIT_RUNTIME, "report: otava's analysis (%s) failed (%s %d): %s", argv[0],
                    res.status == CHILD_TIMEOUT ? "timed out, exit" : "exit", res.exit_code, why);
        else
            rc = parse_output(out, h, e);
        free(out);
        free(why);
    }
    spawn_release(&job);
    free_argv(argv);
    return rc;
}

static void remove_dir(int dfd, const char *dir, const struct history *h)
{
    char name[64];
    for (int i = 0; i < h->n; i++) {
        snprintf(name, sizeof name, "s%d.tsv", i);
        unlinkat(dfd, name, 0);
    }
    close(dfd);
    rmdir(dir);
}

int otava_detect(const char *python, struct history *h, struct err *e)
{
    int any = 0;
    for (int i = 0; i < h->n; i++)
        any |= h->s[i].nok >= OTAVA_MIN_RUNS;
    if (!any)
        return 0;
    const char *tmp = getenv("TMPDIR");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/harness-otava-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (!mkdtemp(dir))
        return err_sys(e, EXIT_RUNTIME, "report: creating a directory %s for otava", dir);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0) {
        rmdir(dir);
        return err_sys(e, EXIT_RUNTIME, "report: opening %s", dir);
    }
    int rc = 0;
    for (int i = 0; rc == 0 && i < h->n; i++)
        if (h->s[i].nok >= OTAVA_MIN_RUNS)
            rc = write_series(dfd, i, &h->s[i], e);
    if (rc == 0)
        rc = run_otava(python, dir, h, e);
    remove_dir(dfd, dir, h);
    return rc;
}
