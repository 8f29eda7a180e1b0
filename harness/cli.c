/* cli.c: getopt_long parsing and the usage text. Checks here are only
 * about the command line itself; the config is checked in config.c. */
#include "cli.h"
#include "config/config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config/config.h"
#include "fs/fs_kind.h"
#include "modes.h"

void cli_usage(FILE *out)
{
    fputs(
        "NAME\n"
        "    harness - time `import numpy` on every MPI rank, from a chosen filesystem\n"
        "\n"
        "SYNOPSIS\n"
        "    mpirun -n N harness --config FILE --machine M --filesystem FS [options]\n"
        "    srun harness --config FILE --machine M --filesystem FS [options]\n"
        "\n"
        "DESCRIPTION\n"
        "    Every rank waits at an MPI barrier, then starts the virtualenv's own python\n"
        "    with posix_spawn running the import statement, and waits for it; a second\n"
        "    barrier closes the phase. The elapsed time barrier to barrier on rank 0 is\n"
        "    the headline figure; each rank's own time, barrier to waitpid, gives the\n"
        "    per-rank distribution. A second phase times `python -c pass` the same way,\n"
        "    so interpreter start-up and import cost are separate figures.\n"
        "\n"
        "    Before the timed phases one process checks the set-up: which python runs\n"
        "    and its version, that the imported modules resolve inside the virtualenv\n"
        "    being measured, a warm-up import that writes bytecode, and the file\n"
        "    metadata system calls one import makes (with strace, where installed).\n"
        "\n"
        "    A filesystem with a `probe` (a command printing the metadata server's or\n"
        "    client's counters) has it read around each import phase, outside the\n"
        "    timed region; the counters' growth is the result's server_ops.\n"
        "\n"
        "MODES (one at most; the default runs the benchmark)\n"
        "        --stage-only       stage the venv to the filesystem's path and stop,\n"
        "                           like rsync -a --exclude '*.pyc' (runs on a staged\n"
        "                           filesystem stage first too); prints the statistics,\n"
        "                           and writes them to --json PATH if given\n"
        "        --checks-only      run the set-up checks in this one process, print\n"
        "                           them and stop (exit 3 if they fail, the import too)\n"
        "        --db-init          create or migrate the results schema (idempotent)\n"
        "        --reserve          insert a reserved result row and print its id\n"
        "        --mark-failed      close the row --result-id as failed at --step\n"
        "        --flush-spool      send results kept on disk to the database\n"
        "        --sweep            mark reserved rows older than the config's\n"
        "                           lost_after_hours as lost\n"
        "        --report           summary tables, change points and plots of the\n"
        "                           results (see REPORT)\n"
        "        --gen-jobs         write one sbatch script per machine, filesystem,\n"
        "                           size (and suite, where a machine has several)\n"
        "                           into --out DIR\n"
        "        --suite-packages   print the pip packages the machine's suites need\n"
        "\n"
        "OPTIONS\n"
        "    -c, --config FILE      libconfig file describing machines and filesystems\n"
        "    -m, --machine NAME     machine block of the config to use\n"
        "    -f, --filesystem NAME  filesystem of that machine to measure\n"
        "    -j, --json PATH        also write the result as one JSON object to PATH;\n"
        "                           `-` writes it to stdout and the table to stderr;\n"
        "                           a regular file is replaced whole, a character\n"
        "                           device or FIFO written in place, a symbolic link\n"
        "                           or other kind of file refused\n"
        "    -s, --suite NAME       import suite of the config to time (default: the\n"
        "                           machine's first; suites name a statement)\n"
        "    -i, --import STMT      python statement to time instead of a suite\n"
        "                           (recorded as suite \"custom\")\n"
        "    -t, --timeout SECONDS  kill a child still running after this long and\n"
        "                           count it as timed out (default: the config's;\n"
        "                           at most 604800, a week)\n"
        "        --repeat N         run the timed phases N times (default 1, at most\n"
        "                           10000): per-rank\n"
        "                           figures cover all N, elapsed_s is their median\n"
        "        --profile-imports  after the timed phases, one more with python\n"
        "                           -X importtime on every rank; reports the 20\n"
        "                           costliest modules (median and max over ranks)\n"
        "        --no-startup       skip the `python -c pass` phase (halves a run)\n"
        "        --child PROGRAM    time PROGRAM (no arguments) instead of the import;\n"
        "                           for measuring the harness's own overhead\n"
        "        --skip-checks      skip the set-up checks (with --child)\n"
        "    -q, --quiet            no progress lines, only the result\n"
        "        --cleanup WHEN     for this run, instead of the filesystem's `cleanup`:\n"
        "                           never, after-run (each node's copy removed at the\n"
        "                           end) or keep-last (at most one copy per machine)\n"
        "        --launch-start EPOCH\n"
        "                           Unix time in seconds (fractions allowed) taken just\n"
        "                           before the launcher, e.g. \"$(date +%s.%N)\": adds\n"
        "                           launch_s (to the import's first barrier) and\n"
        "                           original_s (to the import's end, the figure of the\n"
        "                           original NERSC series) to the result\n"
        "        --ranks-per-node N group the ranks into pretend nodes of N consecutive\n"
        "                           ranks (for tests on one machine): the result's node\n"
        "                           count, and a bcast filesystem's copies, one per\n"
        "                           pretend node k at PATH-node<k> instead of PATH\n"
        "        --delete           staging removes target entries the source no\n"
        "                           longer has (never *.pyc or __pycache__)\n"
        "        --result-id ID     record the result into this reserved row\n"
        "        --ranks N          with --reserve: the ranks the run will have\n"
        "        --step NAME        with --mark-failed: the job step that failed\n"
        "        --message TEXT     with --mark-failed: why\n"
        "        --days N           with --report: the window (default 60, at most 36500)\n"
        "        --out DIR          with --report or --gen-jobs: where files go\n"
        "        --html             with --report: also DIR/report.html, one page\n"
        "        --format FORMAT    with --report: text (default), or jsonl: one JSON\n"
        "                           object per result (ReFrame perflog names) on\n"
        "                           stdout, or in DIR/results.jsonl with --out\n"
        "        --fail-on-regression RATIO\n"
        "                           with --report: exit 1 when a setup's current\n"
        "                           level (median since its latest change point,\n"
        "                           else of its last report.level_runs runs) is\n"
        "                           slower than its baseline by more than RATIO\n"
        "                           (1.2: 20% slower). The baseline: the level\n"
        "                           before the window's earliest change point, or\n"
        "                           one accepted with --accept-baseline\n"
        "        --baseline DATE    with --report: judge against the level a setup\n"
        "                           had at DATE (UTC, 2026-11-01 or 2026-11-01T06:00)\n"
        "        --accept-baseline  with --report: store each setup's current level\n"
        "                           as its baseline (only --machine's, --filesystem's\n"
        "                           when given): an accepted slowdown stops failing\n"
        "        --size NAME        with --gen-jobs: only this size\n"
        "    -h, --help             this text\n"
        "    -V, --version          the harness's version\n"
        "\n"
        "DATABASE\n"
        "    Results go to PostgreSQL when the config's database.conninfo is set (a libpq\n"
        "    conninfo or \"service=NAME\"; never a password: use ~/.pgpass), or when a\n"
        "    --result-id is given, then through the PG* environment. Connecting waits\n"
        "    at most 10 s unless connect_timeout or PGCONNECT_TIMEOUT says otherwise;\n"
        "    a statement at most database.statement_timeout (default 30 s; the server\n"
        "    cancels it), and an answer at most 5 s more (then the client gives up).\n"
        "    The result is written to database.spool_dir (default: spool/ beside the\n"
        "    config file) before it is sent and removed once the database has it: when\n"
        "    the database cannot take it, or the run is killed meanwhile, it stays and\n"
        "    the run still succeeds; --flush-spool sends it later, once however often\n"
        "    it runs. A result the database refuses for good (no such row, a row of\n"
        "    another setup or holding a result already, bad data) goes to rejected/ in\n"
        "    the spool directory with the reason, and the run exits 5; --flush-spool\n"
        "    sets such results aside there too, and files that are no spooled result,\n"
        "    and prints \"N sent, N already recorded, N kept, N set aside\". --db-init\n"
        "    reads sql/ beside the executable or above it, or $HARNESS_SQL_DIR.\n"
        "\n"
        "REPORT\n"
        "    The report opens with the verdict: the regressions the gate fails on,\n"
        "    per machine and size the filesystems fastest first with their ratio to\n"
        "    the in-place import, and the runs that failed. Change points come from\n"
        "    Apache Otava's analysis, run by the python beside tools-venv/bin/otava\n"
        "    (beside the harness or above it: make tools), or by $HARNESS_OTAVA (a\n"
        "    python that imports otava). Without it the report says so;\n"
        "    --fail-on-regression and --accept-baseline then fail with status 3\n"
        "    rather than pass unchecked.\n"
        "\n"
        "EXIT STATUS\n"
        "    0  every rank's child succeeded\n"
        "    1  the run completed, but some child failed or timed out; with --report\n"
        "       --fail-on-regression: a setup got slower by more than the ratio\n"
        "    2  bad command line or configuration (the message names file and line)\n"
        "    3  the set-up is wrong: no python in the virtualenv, or the imported\n"
        "       module resolves outside it\n"
        "    4  a system or MPI failure in the harness itself, or the --json file\n"
        "       could not be written (the result is recorded or spooled all the same)\n"
        "    5  the database could not be used and nothing was kept on disk, or it\n"
        "       refused the result for good (kept in the spool's rejected/)\n"
        "    --flush-spool: 0 everything sent; 1 everything sent or set aside into\n"
        "    rejected/, some set aside; 5 some kept: the database was not taking them\n"
        "\n"
        "EXAMPLES\n"
        "    mpirun --oversubscribe -n 4 build/harness --config conf/local.cfg \\\n"
        "        --machine local --filesystem common --json result.json\n",
        out);
}

enum {
    OPT_CHILD = 256, OPT_SKIP_CHECKS, OPT_DELETE, OPT_RESULT_ID, OPT_RANKS, OPT_DAYS, OPT_OUT, OPT_STEP,
    OPT_MESSAGE, OPT_SIZE, OPT_REPEAT, OPT_NO_STARTUP, OPT_PROFILE, OPT_RANKS_PER_NODE, OPT_HTML, OPT_FORMAT,
    OPT_FAIL_ON_REGRESSION, OPT_LAUNCH_START, OPT_CLEANUP, OPT_BASELINE, OPT_ACCEPT_BASELINE,
    OPT_MODE = 512,          /* + the mode's row in mode_rows[] */
};

/* Each repeat keeps a record per rank on rank 0. */
#define REPEAT_MAX 10000

static int parse_count(const char *opt, const char *arg, long long min, long long *out, struct err *e)
{
    char *end;
    errno = 0;
    long long v = strtoll(arg, &end, 10);
    if (errno || end == arg || *end || v < min)
        return err_set(e, EXIT_USAGE, "%s '%s' is not a whole number of at least %lld", opt, arg, min);
    *out = v;
    return 0;
}

/* The options that take a count of at least 1 into an int, each with the
 * largest value that can work: refused here, not failing later. */
static int parse_int_option(int opt, const char *arg, struct options *o, struct err *e)
{
    const struct {
        int opt;
        const char *name;
        int *dst;
        long long max;
    } v[] = {
        {OPT_RANKS, "--ranks", &o->ranks, INT_MAX},
        {OPT_DAYS, "--days", &o->days, DAYS_MAX},
        {OPT_REPEAT, "--repeat", &o->run.repeat, REPEAT_MAX},
        {OPT_RANKS_PER_NODE, "--ranks-per-node", &o->run.ranks_per_node, INT_MAX},
    };
    long long n;
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        if (v[i].opt != opt)
            continue;
        if (parse_count(v[i].name, arg, 1, &n, e) < 0)
            return -1;
        if (n > v[i].max)
            return err_set(e, EXIT_USAGE, "%s '%s' is more than %lld", v[i].name, arg, v[i].max);
        *v[i].dst = (int)n;
    }
    return 0;
}

static int set_mode(struct options *o, const struct mode_row *m, struct err *e)
{
    if (o->mode != MODE_RUN && o->mode != m->mode)
        return err_set(e, EXIT_USAGE, "--%s cannot be combined with another mode (see --help)", m->flag);
    o->mode = m->mode;
    return 0;
}

/* A word of the kinds' `cleanup` setting, checked before MPI starts. */
static int parse_cleanup(const char *arg, struct options *o, struct err *e)
{
    const char *const *words = fs_option_words("cleanup");
    char list[256];
    if (!words || opt_word_index(words, arg) < 0)
        return err_set(e, EXIT_USAGE, "--cleanup '%s' is not one of %s", arg,
                       words ? opt_words_list(words, list, sizeof list) : "(no kind has a cleanup)");
    o->run.cleanup = arg;
    return 0;
}

/* The options' table with every mode's flag appended from mode_rows[]. */
static void add_mode_flags(const struct option *base, struct option *all, size_t cap)
{
    size_t n = 0;
    for (; base[n].name && n + 1 < cap; n++)
        all[n] = base[n];
    for (int i = 0; mode_rows[i].main && n + 1 < cap; i++)
        if (mode_rows[i].flag)
            all[n++] = (struct option){mode_rows[i].flag, no_argument, 0, OPT_MODE + i};
    all[n] = (struct option){0, 0, 0, 0};
}

/* Which options each mode needs; the modes' own code checks the rest. */
static int check_required(const struct options *o, struct err *e)
{
    int needs_config = o->mode != MODE_HELP && o->mode != MODE_VERSION;
    int needs_target = o->mode == MODE_RUN || o->mode == MODE_STAGE_ONLY || o->mode == MODE_CHECKS_ONLY ||
                       o->mode == MODE_RESERVE;
    if (needs_config && !o->config)
        return err_set(e, EXIT_USAGE, "--config FILE is required (see --help)");
    if (needs_target && !o->run.machine)
        return err_set(e, EXIT_USAGE, "--machine NAME is required (see --help)");
    if (needs_target && !o->run.filesystem)
        return err_set(e, EXIT_USAGE, "--filesystem NAME is required (see --help)");
    if (o->mode == MODE_MARK_FAILED && (!o->result_id || !o->step))
        return err_set(e, EXIT_USAGE, "--mark-failed needs --result-id ID and --step NAME");
    if (o->mode == MODE_SUITE_PACKAGES && !o->run.machine)
        return err_set(e, EXIT_USAGE, "--suite-packages needs --machine NAME");
    if (o->run.import_stmt && o->run.suite)
        return err_set(e, EXIT_USAGE, "--import and --suite exclude each other: a statement or a suite");
    if (o->mode != MODE_REPORT && (o->html || o->format_given || o->fail_ratio > 0 || o->baseline_t > 0 ||
                                   o->accept_baseline))
        return err_set(e, EXIT_USAGE,
                       "--html, --format, --fail-on-regression, --baseline and --accept-baseline go with --report");
    if (o->accept_baseline && o->baseline_t > 0)
        return err_set(e, EXIT_USAGE, "--accept-baseline stores the current levels: not with --baseline DATE");
    if (o->mode == MODE_GEN_JOBS && !o->out)
        return err_set(e, EXIT_USAGE, "--gen-jobs needs --out DIR");
    return 0;
}

static int parse_seconds(const char *opt, const char *arg, double min, double max, double *out, struct err *e)
{
    char *end;
    errno = 0;
    double v = strtod(arg, &end);
    if (errno || end == arg || *end || !(v > 0) || !isfinite(v))
        return err_set(e, EXIT_USAGE, "%s '%s' is not a positive number of seconds", opt, arg);
    /* A stamp of 1970 is a typo (`date +%N` alone), not a launch. */
    if (v < min)
        return err_set(e, EXIT_USAGE, "%s '%s' is not a Unix time in seconds (date +%%s.%%N)", opt, arg);
    if (v > max)
        return err_set(e, EXIT_USAGE, "%s '%s' is more than %g seconds", opt, arg, max);
    *out = v;
    return 0;
}

static int parse_format(const char *arg, struct options *o, struct err *e)
{
    if (strcmp(arg, "text") != 0 && strcmp(arg, "jsonl") != 0)
        return err_set(e, EXIT_USAGE, "--format '%s': text or jsonl", arg);
    o->jsonl = strcmp(arg, "jsonl") == 0;
    o->format_given = 1;
    return 0;
}

/* A slowdown ratio: 1.2 is 20% slower. At most 1 would flag every run. */
static int parse_ratio(const char *arg, double *out, struct err *e)
{
    char *end;
    errno = 0;
    double v = strtod(arg, &end);
    if (errno || end == arg || *end || !(v > 1) || !isfinite(v))
        return err_set(e, EXIT_USAGE, "--fail-on-regression '%s' is not a ratio above 1 (1.2: 20%% slower)", arg);
    *out = v;
    return 0;
}

/* --baseline: a UTC date, YYYY-MM-DD or YYYY-MM-DDTHH:MM. */
static int parse_date(const char *arg, double *out, struct err *e)
{
    static const char *const formats[] = {"%Y-%m-%dT%H:%M", "%Y-%m-%d"};
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
        struct tm tm = {0};
        const char *end = strptime(arg, formats[i], &tm);
        if (end && !*end && tm.tm_year >= 70) {
            *out = (double)timegm(&tm);
            return 0;
        }
    }
    return err_set(e, EXIT_USAGE, "--baseline '%s' is not a UTC date (2026-11-01 or 2026-11-01T06:00)", arg);
}

int cli_parse(int argc, char **argv, struct options *o, struct err *e)
{
    static const struct option longs[] = {
        {"config", required_argument, 0, 'c'},       {"machine", required_argument, 0, 'm'},
        {"filesystem", required_argument, 0, 'f'},   {"json", required_argument, 0, 'j'},
        {"import", required_argument, 0, 'i'},       {"timeout", required_argument, 0, 't'},
        {"child", required_argument, 0, OPT_CHILD},  {"skip-checks", no_argument, 0, OPT_SKIP_CHECKS},
        {"quiet", no_argument, 0, 'q'},              {"help", no_argument, 0, 'h'},
        {"version", no_argument, 0, 'V'},            {"delete", no_argument, 0, OPT_DELETE},
        {"result-id", required_argument, 0, OPT_RESULT_ID}, {"ranks", required_argument, 0, OPT_RANKS},
        {"days", required_argument, 0, OPT_DAYS},    {"out", required_argument, 0, OPT_OUT},
        {"step", required_argument, 0, OPT_STEP},    {"message", required_argument, 0, OPT_MESSAGE},
        {"size", required_argument, 0, OPT_SIZE},    {"repeat", required_argument, 0, OPT_REPEAT},
        {"no-startup", no_argument, 0, OPT_NO_STARTUP}, {"profile-imports", no_argument, 0, OPT_PROFILE},
        {"suite", required_argument, 0, 's'},        {"ranks-per-node", required_argument, 0, OPT_RANKS_PER_NODE},
        {"html", no_argument, 0, OPT_HTML},          {"format", required_argument, 0, OPT_FORMAT},
        {"fail-on-regression", required_argument, 0, OPT_FAIL_ON_REGRESSION},
        {"launch-start", required_argument, 0, OPT_LAUNCH_START}, {"cleanup", required_argument, 0, OPT_CLEANUP},
        {"baseline", required_argument, 0, OPT_BASELINE}, {"accept-baseline", no_argument, 0, OPT_ACCEPT_BASELINE},
        {0, 0, 0, 0},
    };
    struct option all[64];
    add_mode_flags(longs, all, sizeof all / sizeof all[0]);
    memset(o, 0, sizeof *o);
    o->mode = MODE_RUN;
    o->days = 60;
    opterr = 0;
    /* 0, not 1: glibc then forgets a short-option cluster a previous
     * parse stopped inside, which would otherwise carry over. */
    optind = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":c:m:f:j:i:s:t:qhV", all, NULL)) != -1) {
        switch (c) {
        case 'c': o->config = optarg; break;
        case 'm': o->run.machine = optarg; break;
        case 'f': o->run.filesystem = optarg; break;
        case 'j': o->json = optarg; break;
        case 'i': o->run.import_stmt = optarg; break;
        case 's': o->run.suite = optarg; break;
        case 't':
            if (parse_seconds("--timeout", optarg, 0, TIMEOUT_MAX_S, &o->run.timeout, e) < 0)
                return -1;
            break;
        case OPT_CLEANUP:
            if (parse_cleanup(optarg, o, e) < 0)
                return -1;
            break;
        case OPT_LAUNCH_START:
            if (parse_seconds("--launch-start", optarg, 1e9, 1e11, &o->run.launch_start, e) < 0)
                return -1;
            break;
        case OPT_CHILD: o->run.child = optarg; break;
        case OPT_SKIP_CHECKS: o->run.skip_checks = 1; break;
        case 'q': o->run.quiet = 1; break;
        case OPT_DELETE: o->run.delete_extra = 1; break;
        case OPT_NO_STARTUP: o->run.no_startup = 1; break;
        case OPT_PROFILE: o->run.profile_imports = 1; break;
        case OPT_RESULT_ID:
            if (parse_count("--result-id", optarg, 1, &o->result_id, e) < 0)
                return -1;
            break;
        case OPT_RANKS:
        case OPT_DAYS:
        case OPT_REPEAT:
        case OPT_RANKS_PER_NODE:
            if (parse_int_option(c, optarg, o, e) < 0)
                return -1;
            break;
        case OPT_OUT: o->out = optarg; break;
        case OPT_STEP: o->step = optarg; break;
        case OPT_MESSAGE: o->message = optarg; break;
        case OPT_SIZE: o->size = optarg; break;
        case OPT_HTML: o->html = 1; break;
        case OPT_FORMAT:
            if (parse_format(optarg, o, e) < 0)
                return -1;
            break;
        case OPT_FAIL_ON_REGRESSION:
            if (parse_ratio(optarg, &o->fail_ratio, e) < 0)
                return -1;
            break;
        case OPT_BASELINE:
            if (parse_date(optarg, &o->baseline_t, e) < 0)
                return -1;
            break;
        case OPT_ACCEPT_BASELINE: o->accept_baseline = 1; break;
        case 'h': o->mode = MODE_HELP; return 0;
        case 'V': o->mode = MODE_VERSION; return 0;
        case ':': return err_set(e, EXIT_USAGE, "option '%s' needs a value (see --help)", argv[optind - 1]);
        default:
            if (c >= OPT_MODE && c < OPT_MODE + 64) {
                if (set_mode(o, &mode_rows[c - OPT_MODE], e) < 0)
                    return -1;
                break;
            }
            /* Inside a cluster (-xq) optind has not moved yet: name the letter. */
            if (optopt && optopt < 256)
                return err_set(e, EXIT_USAGE, "unknown option '-%c' (see --help)", optopt);
            return err_set(e, EXIT_USAGE, "unknown option '%s' (see --help)", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return err_set(e, EXIT_USAGE, "unexpected argument '%s' (see --help)", argv[optind]);
    if (check_required(o, e) < 0)
        return -1;
    if (o->run.import_stmt && !o->run.import_stmt[0])
        return err_set(e, EXIT_USAGE, "--import needs a python statement, got ''");
    return 0;
}
