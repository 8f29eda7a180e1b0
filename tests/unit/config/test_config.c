/* test_config.c: config parsing, good files and bad ones: every error
 * names the file and the line, and the parse leaves nothing allocated. */
#include <stdlib.h>

#include "../check.h"
#include "config/config.h"

static const char *dir;

/* Parses TEXT as DIR/NAME; returns the error message ("" when it parsed). */
static const char *parse(const char *name, const char *text, struct config *conf)
{
    static struct err e;
    static char path[4096];
    memset(&e, 0, sizeof e);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    if (config_load(path, conf, &e) == 0)
        return "";
    CHECK(e.status == EXIT_USAGE);
    return e.msg;
}

static const char good[] =
    "database = { conninfo = \"service=bench\"; spool_dir = \"spool\"; lost_after_hours = 12; };\n"
    "report = { level_runs = 8; };\n"
    "machines = (\n"
    "  { name = \"m1\"; venv = \"venvs/v\"; timeout = 5; cores_per_node = 32; launcher = \"mpirun\";\n"
    "    import = \"import numpy, scipy\";\n"
    "    filesystems = (\n"
    "      { name = \"common\"; kind = \"inplace\"; },\n"
    "      { name = \"scratch\"; path = \"/scratch/$TEST_USER/staged\"; },\n"
    "      { name = \"bb\"; kind = \"bcast\"; path = \"${TEST_USER}-local\"; }\n"
    "    );\n"
    "    sizes = ( { name = \"small\"; nodes = 3; tasks_per_node = 32; time = \"00:40:00\"; } );\n"
    "    slurm = { account = \"acct\"; qos = \"normal\"; extra = [\"#DW jobdw capacity=2TB\"]; };\n"
    "  }\n"
    ");\n";

static void test_good(void)
{
    struct config c;
    setenv("TEST_USER", "alice", 1);
    CHECK(strcmp(parse("good.cfg", good, &c), "") == 0);
    CHECK(c.nmachines == 1);
    struct err e = {0};
    const struct machine_conf *m = config_machine(&c, "m1", &e);
    CHECK(m != NULL);
    if (!m)
        return;
    CHECK(strcmp(m->import_stmt, "import numpy, scipy") == 0);
    CHECK(m->timeout == 5 && m->cores_per_node == 32);
    CHECK(m->nfs == 3);
    CHECK(strcmp(m->fs[0].kind->name, "inplace") == 0 && strcmp(m->fs[0].path, m->venv) == 0);
    CHECK(strcmp(m->fs[1].kind->name, "staged") == 0 && strcmp(m->fs[1].path, "/scratch/alice/staged") == 0);
    CHECK(strcmp(m->fs[2].kind->name, "bcast") == 0);
    CHECK_CONTAINS(m->fs[2].path, "/alice-local");
    CHECK(m->fs[2].path[0] == '/');             /* relative to the file */
    CHECK_CONTAINS(m->venv, "/venvs/v");
    CHECK(m->nsizes == 1 && m->sizes[0].nodes == 3 && m->sizes[0].tasks_per_node == 32);
    CHECK(m->slurm.nextra == 1 && strcmp(m->slurm.account, "acct") == 0);
    CHECK(strcmp(c.db.conninfo, "service=bench") == 0);
    CHECK(c.db.lost_after_hours == 12);
    CHECK(c.report.level_runs == 8);
    CHECK(config_fs(&c, m, "scratch", &e) == &m->fs[1]);
    CHECK(config_fs(&c, m, "nope", &e) == NULL);
    CHECK_CONTAINS(e.msg, "no filesystem 'nope'");
    CHECK_CONTAINS(e.msg, "common, scratch, bb");
    struct err e2 = {0};
    CHECK(config_machine(&c, "edison", &e2) == NULL);
    CHECK_CONTAINS(e2.msg, "unknown machine 'edison'");
    CHECK(e2.status == EXIT_USAGE);
    config_free(&c);
}

static const char jobs_cfg[] =
    "machines = (\n"
    "  { name = \"m\"; venv = \"/v\"; harness = \"bin/harness\";\n"
    "    filesystems = (\n"
    "      { name = \"dw\"; path = \"$NO_SUCH_VAR_DW/staged\";\n"
    "        directives = [\"#DW jobdw capacity=2TB access_mode=striped\"]; },\n"
    "      { name = \"c\"; kind = \"inplace\"; }\n"
    "    );\n"
    "    sizes = ( { name = \"small\"; nodes = 3; },\n"
    "              { name = \"large\"; nodes = 150; } );\n"
    "  }\n"
    ");\n";

/* --gen-jobs reads configs whose variables only exist on compute nodes. */
static void test_jobs_keys_and_deferred_vars(void)
{
    struct config c;
    struct err e = {0};
    char path[4096];
    unsetenv("NO_SUCH_VAR_DW");
    CHECK_CONTAINS(parse("jobs.cfg", jobs_cfg, &c), "$NO_SUCH_VAR_DW, which is not set");
    snprintf(path, sizeof path, "%s/jobs.cfg", dir);
    CHECK(config_load_flags(path, CONFIG_DEFER_UNSET_VARS, &c, &e) == 0);
    if (e.status) {
        fprintf(stderr, "  got \"%s\"\n", e.msg);
        return;
    }
    const struct machine_conf *m = &c.machines[0];
    CHECK(strcmp(m->fs[0].path, "$NO_SUCH_VAR_DW/staged") == 0);   /* as written, not joined to the dir */
    CHECK(m->fs[0].ndirectives == 1 && strcmp(m->fs[0].directives[0], "#DW jobdw capacity=2TB access_mode=striped") == 0);
    CHECK(m->fs[1].ndirectives == 0 && m->fs[1].directives == NULL);
    CHECK(m->harness && m->harness[0] == '/');
    CHECK_CONTAINS(m->harness, "/bin/harness");
    CHECK(m->sizes[0].line == 8 && m->sizes[1].line == 9);
    CHECK(c.flags == CONFIG_DEFER_UNSET_VARS);
    config_free(&c);
    /* A set variable is still expanded with the flag. */
    setenv("NO_SUCH_VAR_DW", "/dw/job1", 1);
    CHECK(config_load_flags(path, CONFIG_DEFER_UNSET_VARS, &c, &e) == 0);
    CHECK(c.machines && strcmp(c.machines[0].fs[0].path, "/dw/job1/staged") == 0);
    config_free(&c);
    unsetenv("NO_SUCH_VAR_DW");
}

static void test_defaults(void)
{
    struct config c;
    CHECK(strcmp(parse("min.cfg", "machines = ({ name = \"a\"; venv = \"/v\"; filesystems = ({ name = \"c\"; "
                                    "kind = \"inplace\"; }); });\n",
                       &c),
                 "") == 0);
    CHECK(c.machines[0].import_stmt == NULL);
    CHECK(c.nsuites == 1 && strcmp(c.suites[0].name, "numpy") == 0);
    CHECK(strcmp(c.suites[0].import_stmt, "import numpy") == 0 && c.suites[0].npackages == 1);
    CHECK(c.machines[0].nsuites == 1 && strcmp(c.machines[0].suites[0], "numpy") == 0);
    CHECK(c.machines[0].timeout == 600);
    CHECK(c.db.conninfo == NULL);
    CHECK(c.report.level_runs == 20);
    CHECK(c.machines[0].harness == NULL && c.machines[0].fs[0].directives == NULL);
    config_free(&c);
}

/* A probe's keys on any kind; without them, no probe. */
static void test_probe(void)
{
    struct config c;
    CHECK(strcmp(parse("probe.cfg", "machines = ({ name = \"a\"; venv = \"/v\"; filesystems = (\n"
                                      "  { name = \"c\"; kind = \"inplace\"; probe = \"cat /shared/.stats\"; },\n"
                                      "  { name = \"s\"; path = \"/s\"; probe = \"lctl get_param -n mdt.*.md_stats\";\n"
                                      "    probe_scope = \"job\"; probe_counters = [\"getattr\", \"open\"];\n"
                                      "    probe_timeout = 5; },\n"
                                      "  { name = \"p\"; kind = \"inplace\"; }); });\n",
                       &c),
                 "") == 0);
    const struct probe_conf *p0 = &c.machines[0].fs[0].probe, *p1 = &c.machines[0].fs[1].probe;
    CHECK(strcmp(p0->command, "cat /shared/.stats") == 0 && p0->scope == PROBE_NODE);
    CHECK(p0->counters == NULL && p0->timeout == 30);
    CHECK(p1->scope == PROBE_JOB && p1->ncounters == 2 && strcmp(p1->counters[1], "open") == 0);
    CHECK(p1->timeout == 5);
    CHECK(c.machines[0].fs[2].probe.command == NULL);
    config_free(&c);
}

struct bad_case {
    const char *text;
    const char *expect;   /* in the message, after "file:line: " */
    int line;
};

static void test_bad(void)
{
    static const struct bad_case cases[] = {
        {"machines = (\n { name = \"x\";\n venv = ; }\n);\n", "syntax error", 3},
        {"machines = ();\n", "'machines' is empty", 1},
        {"database = {};\n", "missing 'machines'", 0},
        {"machines = ({ venv = \"/v\"; filesystems = (); });\n", "missing 'name'", 1},
        {"machines = (\n{ name = \"a\";\n filesystems = (); });\n", "missing 'venv'", 2},
        {"machines = ({ name = \"a\"; venv = \"/v\"; });\n", "missing 'filesystems'", 1},
        {"machines = ({ name = \"a\"; venv = \"/v\";\n timeout = \"slow\"; filesystems = (); });\n",
         "'timeout' must be a number", 2},
        {"machines = ({ name = \"a\"; venv = \"/v\"; timeout = -1; filesystems = (); });\n",
         "'timeout' must be at least", 1},
        {"machines = ({ name = \"a\"; venv = \"/v\"; filesystems = (\n{ name = \"s\"; kind = \"nfs\"; }); });\n",
         "kind 'nfs' is not one of", 2},
        {"machines = ({ name = \"a\"; venv = \"/v\"; filesystems = (\n{ name = \"s\"; kind = \"staged\"; }); });\n",
         "missing 'path'", 2},
        {"machines = ({ name = \"a\"; venv = \"/v\"; filesystems = ({ name = \"s\";\n path = \"$NO_SUCH_VAR_X/y\"; "
         "}); });\n",
         "$NO_SUCH_VAR_X, which is not set", 2},
        {"machines = ({ name = \"a\"; venv = \"/v\"; filesystems = ({ name = \"c\"; kind = \"inplace\"; },\n"
         "{ name = \"c\"; kind = \"inplace\"; }); });\n",
         "filesystem 'c' is defined twice", 2},
        {"machines = ({ name = \"a\"; venv = \"/v\"; launcher = \"aprun\"; filesystems = (); });\n",
         "launcher 'aprun' is not srun or mpirun", 1},
        {"database = {\n password = \"x\"; };\nmachines = ({ name = \"a\"; venv = \"/v\"; filesystems = (); });\n",
         "no password in the config file", 2},
        {"machines = ({ name = \"a\"; venv = 42; filesystems = (); });\n", "'venv' must be a string", 1},
        {"machines = ({ name = \"a\"; venv = \"/v\"; filesystems = (\"x\"); });\n", "must be a group", 1},
        {"machines = ({ name = \"a\"; venv = \"/v\"; filesystems = ();\n sizes = ({ name = \"s\"; nodes = 1.5; }); "
         "});\n",
         "'nodes' must be a whole number", 2},
        {"machines = ({ name = \"a\"; venv = \"/v\"; filesystems = (\n{ name = \"c\"; kind = \"inplace\";\n"
         " directives = \"#DW x\"; }); });\n",
         "'directives' must be a list of strings", 3},
        {"machines = ({ name = \"a\"; venv = \"/v\"; filesystems = ({ name = \"c\"; kind = \"inplace\";\n"
         " directives = (\"#DW x\", 2); }); });\n",
         "'directives' must hold only strings", 2},
        {"machines = ({ name = \"a\"; venv = \"/v\";\n harness = 3; filesystems = (); });\n",
         "'harness' must be a string", 2},
        /* Typos are named with the nearest known key, in every group. */
        {"machines = ({ name = \"a\"; venv = \"/v\";\n timout = 5; filesystems = (); });\n",
         "unknown key 'timout' in a machine (did you mean 'timeout'?)", 2},
        {"database = {\n conninf = \"x\"; };\nmachines = ({ name = \"a\"; venv = \"/v\"; filesystems = (); });\n",
         "unknown key 'conninf' in database (did you mean 'conninfo'?)", 2},
        {"machine = ();\nmachines = ({ name = \"a\"; venv = \"/v\"; filesystems = (); });\n",
         "unknown key 'machine' in the file's top level (did you mean 'machines'?)", 1},
        {"suites = ({ name = \"s\"; import = \"import x\";\n pakages = []; });\n"
         "machines = ({ name = \"a\"; venv = \"/v\"; filesystems = (); });\n",
         "unknown key 'pakages' in a suite (did you mean 'packages'?)", 2},
        {"machines = ({ name = \"a\"; venv = \"/v\"; filesystems = ({ name = \"c\";\n knd = \"inplace\"; }); });\n",
         "unknown key 'knd' in a filesystem (did you mean 'kind'?)", 2},
        {"machines = ({ name = \"a\"; venv = \"/v\"; filesystems = ();\n sizes = ({ name = \"s\";\n node = 2; }); });\n",
         "unknown key 'node' in a size (did you mean 'nodes'?)", 3},
        {"machines = ({ name = \"a\"; venv = \"/v\"; filesystems = ();\n slurm = {\n acount = \"x\"; }; });\n",
         "unknown key 'acount' in slurm (did you mean 'account'?)", 3},
        {"report = {\n level_run = 5; };\nmachines = ({ name = \"a\"; venv = \"/v\"; filesystems = (); });\n",
         "unknown key 'level_run' in report (did you mean 'level_runs'?)", 2},
        {"report = {\n level_runs = 0; };\nmachines = ({ name = \"a\"; venv = \"/v\"; filesystems = (); });\n",
         "'level_runs' must be at least 1", 2},
        {"report = 5;\nmachines = ({ name = \"a\"; venv = \"/v\"; filesystems = (); });\n",
         "'report' must be a group", 1},
        /* Values that would fail later, or overflow, are refused with their line. */
        {"machines = ({ name = \"a\"; venv = \"/v\";\n timeout = 1e300; filesystems = (); });\n",
         "'timeout' must be at most 604800", 2},
        {"machines = ({ name = \"a\"; venv = \"/v\";\n timeout = 1e999; filesystems = (); });\n",
         "'timeout' must be a finite number", 2},
        {"database = {\n lost_after_hours = 1e15; };\nmachines = ({ name = \"a\"; venv = \"/v\"; filesystems = (); });\n",
         "'lost_after_hours' must be at most 87600", 2},
        {"machines = ({ name = \"a\"; venv = \"/v\"; filesystems = (); slurm = {\n log_max_age_days = 1e9; }; });\n",
         "'log_max_age_days' must be at most 36500", 2},
        {"machines = ({ name = \"a\"; venv = \"/v\"; filesystems = ();\n"
         " sizes = (\n{ name = \"s\"; nodes = 100000; tasks_per_node = 100000; }); });\n",
         "size 's': 10000000000 ranks (nodes x tasks per node) is more than 2147483647", 3},
        {"machines = ({ name = \"a\"; venv = \"/v\"; cores_per_node = 100000; filesystems = ();\n"
         " sizes = (\n{ name = \"s\"; nodes = 1000000; }); });\n",
         "size 's': 100000000000 ranks", 3},
        {"machines = ({ name = \"a\"; venv = \"/v\"; filesystems = ();\n sizes = ({ name = \"s\";\n nodes = 2000000; }); });\n",
         "'nodes' must be at most 1000000", 3},
        /* Names become job and file names: one line, plain characters. */
        {"machines = ({ name = \"a\"; venv = \"/v\"; filesystems = ();\n sizes = ({\n name = \"s\\necho pwned\"; }); });\n",
         "size name 's\\necho pwned' cannot name a job or a file", 3},
        {"machines = ({ name = \"a\"; venv = \"/v\"; filesystems = (\n{ name = \"c d\"; kind = \"inplace\"; }); });\n",
         "filesystem name 'c d' cannot name a job or a file", 2},
        {"machines = ({\n name = \"-a\"; venv = \"/v\"; filesystems = (); });\n",
         "machine name '-a' cannot name a job or a file", 2},
        {"machines = ({\n name = \".a\"; venv = \"/v\"; filesystems = (); });\n",
         "machine name '.a' cannot", 2},
        {"suites = ({\n name = \"s/x\"; import = \"import x\"; });\n"
         "machines = ({ name = \"a\"; venv = \"/v\"; filesystems = (); });\n",
         "suite name 's/x' cannot name a job or a file", 2},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct config c;
        char name[32], prefix[4200];
        snprintf(name, sizeof name, "bad%zu.cfg", i);
        const char *msg = parse(name, cases[i].text, &c);
        if (cases[i].line > 0)
            snprintf(prefix, sizeof prefix, "%s/%s:%d: ", dir, name, cases[i].line);
        else
            snprintf(prefix, sizeof prefix, "%s/%s: ", dir, name);
        CHECK(strncmp(msg, prefix, strlen(prefix)) == 0);
        CHECK_CONTAINS(msg, cases[i].expect);
        if (strncmp(msg, prefix, strlen(prefix)) != 0 || !strstr(msg, cases[i].expect))
            fprintf(stderr, "  case %zu: got \"%s\"\n", i, msg);
        CHECK(c.machines == NULL && c.path == NULL);   /* nothing left behind */
    }
}

static void test_suites(void)
{
    struct config c;
    CHECK(strcmp(parse("suites.cfg",
                       "suites = ( { name = \"np\"; import = \"import numpy\"; packages = [\"numpy\"]; },\n"
                       "  { name = \"sci\"; import = \"import numpy, scipy\"; packages = [\"numpy\", \"scipy\"]; } );\n"
                       "machines = ({ name = \"a\"; venv = \"/v\"; suites = [\"sci\", \"np\"];\n"
                       "  filesystems = ({ name = \"c\"; kind = \"inplace\"; }); },\n"
                       " { name = \"b\"; venv = \"/v\"; filesystems = ({ name = \"c\"; kind = \"inplace\"; }); });\n",
                       &c),
                 "") == 0);
    CHECK(c.nsuites == 2 && c.suites[1].npackages == 2);
    CHECK(c.machines[0].nsuites == 2 && strcmp(c.machines[0].suites[0], "sci") == 0);
    CHECK(c.machines[1].nsuites == 1 && strcmp(c.machines[1].suites[0], "np") == 0);   /* the file's first */
    CHECK(config_suite(&c, "sci") == &c.suites[1] && config_suite(&c, "nope") == NULL);
    config_free(&c);

    const char *msg = parse("suites_bad.cfg",
                            "suites = ( { name = \"np\"; import = \"import numpy\"; } );\n"
                            "machines = ({ name = \"a\"; venv = \"/v\";\n suites = [\"astropy\"];\n"
                            "  filesystems = ({ name = \"c\"; kind = \"inplace\"; }); });\n",
                            &c);
    CHECK_CONTAINS(msg, "suites_bad.cfg:3: suite 'astropy' is not defined in 'suites'");
    msg = parse("suites_bad2.cfg", "suites = (\n { name = \"np\"; } );\nmachines = ();\n", &c);
    CHECK_CONTAINS(msg, "suites_bad2.cfg:2: missing 'import'");
    msg = parse("suites_bad3.cfg", "suites = ( { name = \"np\"; import = \"x\"; },\n { name = \"np\"; import = \"y\"; } );\n"
                "machines = ();\n", &c);
    CHECK_CONTAINS(msg, "suites_bad3.cfg:2: suite 'np' is defined twice");
}

static void test_missing_file(void)
{
    struct config c;
    struct err e = {0};
    CHECK(config_load("/nonexistent/dir/x.cfg", &c, &e) < 0);
    CHECK_CONTAINS(e.msg, "cannot read config /nonexistent/dir/x.cfg");
    CHECK(e.status == EXIT_USAGE);
}

/* A device that never ends is refused at the size limit, not read for ever. */
static void test_endless_file(void)
{
    struct config c;
    struct err e = {0};
    CHECK(config_load("/dev/zero", &c, &e) < 0);
    CHECK_CONTAINS(e.msg, "config /dev/zero: larger than");
    CHECK(e.status == EXIT_USAGE);
}

int main(int argc, char **argv)
{
    dir = argc > 1 ? argv[1] : "/tmp";
    test_good();
    test_defaults();
    test_probe();
    test_jobs_keys_and_deferred_vars();
    test_bad();
    test_suites();
    test_missing_file();
    test_endless_file();
    return check_summary();
}
