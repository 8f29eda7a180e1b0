/* test_cli.c: the command line: every mode by its flag from mode_rows[]
 * with what it requires, every option into its field, and every refusal
 * cli_parse makes, each with status EXIT_USAGE and its one-line message. */
#include <stddef.h>
#include <stdlib.h>

#include "check.h"
#include "cli.h"
#include "modes.h"

#define MAX_ARGS 40

static struct options o;
static struct err e;

/* Parses "harness" ARGS (NULL-terminated), with "-c x.cfg -m mach -f fs"
 * first when BASE. The strings are copied into writable memory (getopt
 * permutes argv) that is never reused: glibc's getopt keeps a pointer into
 * the last short option it read, and cli_parse's optind = 1 does not clear
 * it, so rewriting that memory would change what the next parse reads.
 * Returns cli_parse's value. */
static int parse(int base, const char *const *args)
{
    static const char *const base_args[] = {"-c", "x.cfg", "-m", "mach", "-f", "fs", NULL};
    static char arena[1 << 16];
    static size_t used;
    static char *argv[MAX_ARGS + 8];
    static const char *const name[] = {"harness", NULL};
    const char *const *lists[] = {name, base ? base_args : NULL, args};
    int argc = 0;
    for (int l = 0; l < 3; l++)
        for (int i = 0; lists[l] && lists[l][i]; i++) {
            size_t n = strlen(lists[l][i]) + 1;
            if (used + n > sizeof arena || argc >= MAX_ARGS + 6) {
                fprintf(stderr, "test_cli: too many arguments\n");
                exit(2);
            }
            argv[argc++] = memcpy(arena + used, lists[l][i], n);
            used += n;
        }
    argv[argc] = NULL;
    memset(&e, 0, sizeof e);
    return cli_parse(argc, argv, &o, &e);
}

/* What an empty command line with the base target gives: the defaults. */
static void test_defaults(void)
{
    static const char *const none[] = {NULL};
    CHECK(parse(1, none) == 0 && e.status == 0);
    CHECK(o.mode == MODE_RUN);
    CHECK(strcmp(o.config, "x.cfg") == 0 && strcmp(o.run.machine, "mach") == 0 && strcmp(o.run.filesystem, "fs") == 0);
    CHECK(o.days == 60);
    CHECK(o.run.repeat == 0 && o.run.ranks_per_node == 0 && o.run.timeout == 0 && o.run.launch_start == 0);
    CHECK(!o.json && !o.run.import_stmt && !o.run.suite && !o.run.child && !o.run.cleanup);
    CHECK(!o.run.quiet && !o.run.skip_checks && !o.run.delete_extra && !o.run.no_startup && !o.run.profile_imports);
    CHECK(!o.out && !o.step && !o.message && !o.size && o.result_id == 0 && o.ranks == 0);
    CHECK(!o.html && !o.jsonl && o.fail_ratio == 0);
}

/* The options every mode may need; a mode's refusals when one is left out. */
static const char *const full[][2] = {
    {"--config", "x.cfg"}, {"--machine", "mach"}, {"--filesystem", "fs"},
    {"--result-id", "7"},  {"--step", "setup"},   {"--out", "jobs"},
};
#define NFULL (sizeof full / sizeof full[0])

static const struct {
    enum mode mode;
    const char *dropped, *msg;
} needs[] = {
    {MODE_RUN, "--config", "--config FILE is required"},
    {MODE_RUN, "--machine", "--machine NAME is required"},
    {MODE_RUN, "--filesystem", "--filesystem NAME is required"},
    {MODE_STAGE_ONLY, "--config", "--config FILE is required"},
    {MODE_STAGE_ONLY, "--machine", "--machine NAME is required"},
    {MODE_STAGE_ONLY, "--filesystem", "--filesystem NAME is required"},
    {MODE_CHECKS_ONLY, "--config", "--config FILE is required"},
    {MODE_CHECKS_ONLY, "--machine", "--machine NAME is required"},
    {MODE_CHECKS_ONLY, "--filesystem", "--filesystem NAME is required"},
    {MODE_RESERVE, "--config", "--config FILE is required"},
    {MODE_RESERVE, "--machine", "--machine NAME is required"},
    {MODE_RESERVE, "--filesystem", "--filesystem NAME is required"},
    {MODE_DB_INIT, "--config", "--config FILE is required"},
    {MODE_MARK_FAILED, "--config", "--config FILE is required"},
    {MODE_MARK_FAILED, "--result-id", "--mark-failed needs --result-id ID and --step NAME"},
    {MODE_MARK_FAILED, "--step", "--mark-failed needs --result-id ID and --step NAME"},
    {MODE_FLUSH_SPOOL, "--config", "--config FILE is required"},
    {MODE_SWEEP, "--config", "--config FILE is required"},
    {MODE_REPORT, "--config", "--config FILE is required"},
    {MODE_GEN_JOBS, "--config", "--config FILE is required"},
    {MODE_GEN_JOBS, "--out", "--gen-jobs needs --out DIR"},
    {MODE_SUITE_PACKAGES, "--config", "--config FILE is required"},
    {MODE_SUITE_PACKAGES, "--machine", "--suite-packages needs --machine NAME"},
};

static const char *needed(enum mode m, const char *dropped)
{
    for (size_t i = 0; i < sizeof needs / sizeof needs[0]; i++)
        if (needs[i].mode == m && strcmp(needs[i].dropped, dropped) == 0)
            return needs[i].msg;
    return NULL;
}

/* The mode's flag (none for the run), then every option of full[] but
 * the one at DROP (NFULL: none). */
static int parse_mode(const struct mode_row *row, size_t drop)
{
    const char *args[MAX_ARGS];
    char flag[64];
    int n = 0;
    if (row->flag) {
        snprintf(flag, sizeof flag, "--%s", row->flag);
        args[n++] = flag;
    }
    for (size_t i = 0; i < NFULL; i++)
        if (i != drop) {
            args[n++] = full[i][0];
            args[n++] = full[i][1];
        }
    args[n] = NULL;
    return parse(0, args);
}

/* Each mode by its flag, with all it needs; then with each option left
 * out: refused with the message of needs[], or still accepted. */
static void test_modes(void)
{
    int flags = 0;
    for (const struct mode_row *row = mode_rows; row->main; row++) {
        flags += row->flag != NULL;
        CHECK(parse_mode(row, NFULL) == 0);
        CHECK(o.mode == row->mode);
        for (size_t d = 0; d < NFULL; d++) {
            const char *msg = needed(row->mode, full[d][0]);
            int rc = parse_mode(row, d);
            if (msg) {
                CHECK(rc == -1 && e.status == EXIT_USAGE);
                CHECK_CONTAINS(e.msg, msg);
            } else {
                CHECK(rc == 0 && o.mode == row->mode);
            }
            if ((rc == 0) == (msg != NULL))
                fprintf(stderr, "  mode %s without %s: rc %d, \"%s\"\n", row->flag ? row->flag : "(run)", full[d][0],
                        rc, e.msg);
        }
    }
    CHECK(flags == 10);
    /* The same mode twice is one mode. */
    static const char *const twice[] = {"--sweep", "--config", "x.cfg", "--sweep", NULL};
    CHECK(parse(0, twice) == 0 && o.mode == MODE_SWEEP);
}

static void test_help_version(void)
{
    static const struct {
        const char *args[4];
        enum mode mode;
    } cases[] = {
        {{"-h"}, MODE_HELP},           {{"--help"}, MODE_HELP},
        {{"-V"}, MODE_VERSION},        {{"--version"}, MODE_VERSION},
        {{"--sweep", "-h"}, MODE_HELP}, {{"--gen-jobs", "--version"}, MODE_VERSION},
        {{"-qh"}, MODE_HELP},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        CHECK(parse(0, cases[i].args) == 0 && e.status == 0);
        CHECK(o.mode == cases[i].mode);
    }
}

enum field_type { F_STR, F_INT, F_LL, F_DBL };

/* One option: its arguments (after the base target), then the field it
 * sets and the value it should hold. */
static const struct field_case {
    const char *args[5];
    size_t offset;
    enum field_type type;
    const char *str;
    double num;
} fields[] = {
    {{"--config", "other.cfg"}, offsetof(struct options, config), F_STR, "other.cfg", 0},
    {{"--machine", "cori"}, offsetof(struct options, run.machine), F_STR, "cori", 0},
    {{"-m", "cori"}, offsetof(struct options, run.machine), F_STR, "cori", 0},
    {{"--filesystem", "scratch"}, offsetof(struct options, run.filesystem), F_STR, "scratch", 0},
    {{"-f", "scratch"}, offsetof(struct options, run.filesystem), F_STR, "scratch", 0},
    {{"--json", "-"}, offsetof(struct options, json), F_STR, "-", 0},
    {{"-j", "out.json"}, offsetof(struct options, json), F_STR, "out.json", 0},
    {{"--import", "import numpy, scipy"}, offsetof(struct options, run.import_stmt), F_STR, "import numpy, scipy", 0},
    {{"-i", "import os"}, offsetof(struct options, run.import_stmt), F_STR, "import os", 0},
    {{"--suite", "astropy"}, offsetof(struct options, run.suite), F_STR, "astropy", 0},
    {{"-s", "numpy"}, offsetof(struct options, run.suite), F_STR, "numpy", 0},
    {{"--timeout", "2.5"}, offsetof(struct options, run.timeout), F_DBL, NULL, 2.5},
    {{"-t", "604800"}, offsetof(struct options, run.timeout), F_DBL, NULL, 604800},
    {{"--child", "/bin/true"}, offsetof(struct options, run.child), F_STR, "/bin/true", 0},
    {{"--skip-checks"}, offsetof(struct options, run.skip_checks), F_INT, NULL, 1},
    {{"--quiet"}, offsetof(struct options, run.quiet), F_INT, NULL, 1},
    {{"-q"}, offsetof(struct options, run.quiet), F_INT, NULL, 1},
    {{"--delete"}, offsetof(struct options, run.delete_extra), F_INT, NULL, 1},
    {{"--result-id", "42"}, offsetof(struct options, result_id), F_LL, NULL, 42},
    {{"--result-id", "4294967297"}, offsetof(struct options, result_id), F_LL, NULL, 4294967297.0},
    {{"--reserve", "--ranks", "96"}, offsetof(struct options, ranks), F_INT, NULL, 96},
    {{"--ranks-per-node", "4"}, offsetof(struct options, run.ranks_per_node), F_INT, NULL, 4},
    {{"--report", "--days", "7"}, offsetof(struct options, days), F_INT, NULL, 7},
    {{"--report", "--days", "36500"}, offsetof(struct options, days), F_INT, NULL, 36500},
    {{"--report", "--out", "rep"}, offsetof(struct options, out), F_STR, "rep", 0},
    {{"--mark-failed", "--result-id", "3", "--step", "warm"}, offsetof(struct options, step), F_STR, "warm", 0},
    {{"--message", "disk full"}, offsetof(struct options, message), F_STR, "disk full", 0},
    {{"--size", "small"}, offsetof(struct options, size), F_STR, "small", 0},
    {{"--repeat", "1"}, offsetof(struct options, run.repeat), F_INT, NULL, 1},
    {{"--repeat", "10000"}, offsetof(struct options, run.repeat), F_INT, NULL, 10000},
    {{"--no-startup"}, offsetof(struct options, run.no_startup), F_INT, NULL, 1},
    {{"--profile-imports"}, offsetof(struct options, run.profile_imports), F_INT, NULL, 1},
    {{"--report", "--html"}, offsetof(struct options, html), F_INT, NULL, 1},
    {{"--report", "--format", "jsonl"}, offsetof(struct options, jsonl), F_INT, NULL, 1},
    {{"--report", "--format", "text"}, offsetof(struct options, jsonl), F_INT, NULL, 0},
    {{"--report", "--fail-on-regression", "1.2"}, offsetof(struct options, fail_ratio), F_DBL, NULL, 1.2},
    {{"--launch-start", "1700000000.25"}, offsetof(struct options, run.launch_start), F_DBL, NULL, 1700000000.25},
    {{"--launch-start", "1e11"}, offsetof(struct options, run.launch_start), F_DBL, NULL, 1e11},
    {{"--cleanup", "never"}, offsetof(struct options, run.cleanup), F_STR, "never", 0},
    {{"--cleanup", "after-run"}, offsetof(struct options, run.cleanup), F_STR, "after-run", 0},
    {{"--cleanup", "keep-last"}, offsetof(struct options, run.cleanup), F_STR, "keep-last", 0},
    {{"--out=gen", "--gen-jobs"}, offsetof(struct options, out), F_STR, "gen", 0},
};

static void test_fields(void)
{
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        const struct field_case *c = &fields[i];
        const char *args[6] = {0};
        memcpy(args, c->args, sizeof c->args);
        int rc = parse(1, args);
        CHECK(rc == 0);
        if (rc < 0) {
            fprintf(stderr, "  %s: \"%s\"\n", c->args[0], e.msg);
            continue;
        }
        const char *field = (const char *)&o + c->offset;
        switch (c->type) {
        case F_STR: {
            const char *got = *(const char *const *)field;
            CHECK(got && strcmp(got, c->str) == 0);
            break;
        }
        case F_INT: CHECK(*(const int *)field == (int)c->num); break;
        case F_LL: CHECK(*(const long long *)field == (long long)c->num); break;
        case F_DBL: CHECK_NEAR(*(const double *)field, c->num); break;
        }
    }
}

/* Every option at once, short and long, in one run's command line. */
static void test_all_together(void)
{
    static const char *const args[] = {
        "-c", "a.cfg", "-m", "m1", "-f", "scratch", "-j", "r.json", "-i", "import numpy", "-t", "30", "-q",
        "--child", "/bin/true", "--skip-checks", "--delete", "--result-id", "5", "--ranks-per-node", "2",
        "--repeat", "3", "--no-startup", "--profile-imports", "--cleanup", "after-run", "--launch-start",
        "1700000000", "--message", "m", "--size", "large", NULL,
    };
    CHECK(parse(0, args) == 0 && o.mode == MODE_RUN);
    CHECK(strcmp(o.config, "a.cfg") == 0 && strcmp(o.run.machine, "m1") == 0);
    CHECK(strcmp(o.run.filesystem, "scratch") == 0 && strcmp(o.json, "r.json") == 0);
    CHECK(strcmp(o.run.import_stmt, "import numpy") == 0 && o.run.timeout == 30 && o.run.quiet);
    CHECK(strcmp(o.run.child, "/bin/true") == 0 && o.run.skip_checks && o.run.delete_extra);
    CHECK(o.result_id == 5 && o.run.ranks_per_node == 2 && o.run.repeat == 3);
    CHECK(o.run.no_startup && o.run.profile_imports && strcmp(o.run.cleanup, "after-run") == 0);
    CHECK(o.run.launch_start == 1700000000 && strcmp(o.message, "m") == 0 && strcmp(o.size, "large") == 0);
    /* getopt permutes: a positional argument in the middle is still refused. */
    static const char *const mid[] = {"--sweep", "stray", "--config", "x.cfg", NULL};
    CHECK(parse(0, mid) == -1 && e.status == EXIT_USAGE);
    CHECK_CONTAINS(e.msg, "unexpected argument 'stray'");
}

/* Each refusal: its arguments (after the base target when BASE) and a
 * part of its message. */
static const struct refusal {
    int base;
    const char *args[8];
    const char *msg;
} refusals[] = {
    {1, {"--db-init", "--sweep"}, "--sweep cannot be combined with another mode"},
    {1, {"--report", "--gen-jobs", "--out", "d"}, "--gen-jobs cannot be combined with another mode"},
    {1, {"--stage-only", "--checks-only"}, "--checks-only cannot be combined with another mode"},
    {1, {"--bogus"}, "unknown option '--bogus'"},
    {1, {"-x"}, "unknown option '-x'"},
    {1, {"-xq"}, "unknown option '-x'"},    /* inside a cluster: the letter, not the word before */
    {1, {"--re"}, "unknown option '--re'"},   /* ambiguous: --repeat, --report, --reserve, ... */
    {0, {"-m", "m", "-f", "f", "--config"}, "option '--config' needs a value"},
    {0, {"-m", "m", "-f", "f", "-c"}, "option '-c' needs a value"},
    {1, {"--repeat"}, "option '--repeat' needs a value"},
    {1, {"extra"}, "unexpected argument 'extra'"},
    {1, {"--import", "import os", "--suite", "numpy"}, "--import and --suite exclude each other"},
    {1, {"--html"}, "--html, --format, --fail-on-regression, --baseline and --accept-baseline go with --report"},
    {1, {"--format", "jsonl"}, "--html, --format, --fail-on-regression, --baseline and --accept-baseline go with --report"},
    {1, {"--format", "text"}, "--html, --format, --fail-on-regression, --baseline and --accept-baseline go with --report"},
    {1, {"--fail-on-regression", "1.5"}, "--html, --format, --fail-on-regression, --baseline and --accept-baseline go with --report"},
    {1, {"--gen-jobs", "--out", "d", "--html"}, "go with --report"},
    {1, {"--baseline", "2026-11-01"}, "--baseline and --accept-baseline go with --report"},
    {1, {"--accept-baseline"}, "--baseline and --accept-baseline go with --report"},
    {1, {"--report", "--baseline", "11/01/2026"}, "--baseline '11/01/2026' is not a UTC date"},
    {1, {"--report", "--baseline", "2026-11-01", "--accept-baseline"}, "not with --baseline DATE"},
    {1, {"--import", ""}, "--import needs a python statement, got ''"},
    {1, {"--repeat", "0"}, "--repeat '0' is not a whole number of at least 1"},
    {1, {"--repeat", "10001"}, "--repeat '10001' is more than 10000"},
    {1, {"--repeat", "2x"}, "--repeat '2x' is not a whole number"},
    {1, {"--repeat", ""}, "--repeat '' is not a whole number"},
    {1, {"--repeat", "99999999999999999999"}, "is not a whole number"},
    {1, {"--ranks", "abc"}, "--ranks 'abc' is not a whole number of at least 1"},
    {1, {"--ranks", "2147483648"}, "--ranks '2147483648' is more than 2147483647"},
    {1, {"--days", "0"}, "--days '0' is not a whole number of at least 1"},
    {1, {"--days", "36501"}, "--days '36501' is more than 36500"},
    {1, {"--ranks-per-node", "-1"}, "--ranks-per-node '-1' is not a whole number of at least 1"},
    {1, {"--result-id", "0"}, "--result-id '0' is not a whole number of at least 1"},
    {1, {"--result-id", "1.5"}, "--result-id '1.5' is not a whole number"},
    {1, {"--timeout", "0"}, "--timeout '0' is not a positive number of seconds"},
    {1, {"--timeout", "-1"}, "--timeout '-1' is not a positive number of seconds"},
    {1, {"--timeout", "nan"}, "--timeout 'nan' is not a positive number of seconds"},
    {1, {"--timeout", "inf"}, "--timeout 'inf' is not a positive number of seconds"},
    {1, {"--timeout", "1e400"}, "--timeout '1e400' is not a positive number of seconds"},
    {1, {"--timeout", "5s"}, "--timeout '5s' is not a positive number of seconds"},
    {1, {"-t", "604801"}, "--timeout '604801' is more than 604800 seconds"},
    {1, {"--launch-start", "5"}, "--launch-start '5' is not a Unix time in seconds (date +%s.%N)"},
    {1, {"--launch-start", "1e12"}, "--launch-start '1e12' is more than 1e+11 seconds"},
    {1, {"--launch-start", "-1700000000"}, "is not a positive number of seconds"},
    {1, {"--report", "--format", "xml"}, "--format 'xml': text or jsonl"},
    {1, {"--report", "--fail-on-regression", "1"}, "--fail-on-regression '1' is not a ratio above 1"},
    {1, {"--report", "--fail-on-regression", "0.5"}, "--fail-on-regression '0.5' is not a ratio above 1"},
    {1, {"--report", "--fail-on-regression", "abc"}, "--fail-on-regression 'abc' is not a ratio above 1"},
    {1, {"--report", "--fail-on-regression", "inf"}, "--fail-on-regression 'inf' is not a ratio above 1"},
    {1, {"--cleanup", "sometimes"}, "--cleanup 'sometimes' is not one of never, after-run, keep-last"},
    /* The first bad option is the one named, before any mode's needs. */
    {0, {"--gen-jobs", "--repeat", "0"}, "--repeat '0'"},
    {1, {"--repeat", "0", "-h"}, "--repeat '0'"},
};

static void test_refusals(void)
{
    for (size_t i = 0; i < sizeof refusals / sizeof refusals[0]; i++) {
        const struct refusal *r = &refusals[i];
        int rc = parse(r->base, r->args);
        CHECK(rc == -1 && e.status == EXIT_USAGE);
        CHECK_CONTAINS(e.msg, r->msg);
        CHECK(!strchr(e.msg, '\n'));
        if (rc != -1 || !strstr(e.msg, r->msg))
            fprintf(stderr, "  %s ...: rc %d, \"%s\"\n", r->args[0], rc, e.msg);
    }
}

int main(int argc, char **argv)
{
    (void)argc, (void)argv;
    test_defaults();
    test_modes();
    test_help_version();
    test_fields();
    test_all_together();
    test_refusals();
    return check_summary();
}
