/* test_jobscript.c: one generated sbatch script: its name, directives,
 * marker and settings as the config gives them, values quoted so that the
 * shell takes them literally (bash reads the settings back here), and each
 * value jobscript_init refuses, named by file and line. */
#include <stdlib.h>
#include <sys/stat.h>

#include "../check.h"
#include "jobgen/jobscript.h"

static const char *dir;

/* A machine like conf/cori.cfg, with values that need quoting, and a
 * small mpirun machine without slurm settings but its log directory. */
static const char good_cfg[] =
    "suites = ( { name = \"numpy\"; import = \"import numpy\"; packages = [\"numpy\"]; },\n"
    "           { name = \"numpy-scipy\"; import = \"import numpy, scipy\"; packages = [\"numpy\", \"scipy\"]; } );\n"
    "machines = (\n"
    "  { name = \"cori\"; venv = \"/v\"; suites = [\"numpy\", \"numpy-scipy\"]; cores_per_node = 32;\n"
    "    launcher = \"srun\";\n"
    "    env_setup = [ \"module load python_base\", \"export GREETING='hi there'\" ];\n"
    "    filesystems = (\n"
    "      { name = \"common\"; kind = \"inplace\"; },\n"
    "      { name = \"datawarp\"; kind = \"staged\"; path = \"$JOBSCRIPT_TEST_UNSET/staged\";\n"
    "        directives = [ \"#DW jobdw capacity=2TB access_mode=striped\", \"#DW stage_in type=file\" ]; },\n"
    "      { name = \"tmpfs\"; kind = \"bcast\"; path = \"/dev/shm/staged\"; },\n"
    "      { name = \"shifter\"; kind = \"image\"; path = \"/scratch/venv.sqfs\"; mount = \"/tmp/jobscript-mnt\"; }\n"
    "    );\n"
    "    sizes = ( { name = \"small\"; nodes = 3; tasks_per_node = 16; time = \"00:40:00\"; },\n"
    "              { name = \"large\"; nodes = 150; } );\n"
    "    slurm = { account = \"mpccc\"; partition = \"regular\"; qos = \"normal\"; license = \"SCRATCH\";\n"
    "              constraint = \"haswell\"; extra = [ \"#SBATCH --mail-type=FAIL\" ];\n"
    "              log_dir = \"/nonexistent/it's \\\"the\\\" log dir\"; log_max_age_days = 1.5; };\n"
    "  },\n"
    "  { name = \"local\"; venv = \"/v\"; launcher = \"mpirun\"; cores_per_node = 4; import = \"import os\";\n"
    "    launcher_args = [\"--bind-to\", \"it's $HOME\"];\n"
    "    filesystems = ( { name = \"common\"; kind = \"inplace\"; } );\n"
    "    sizes = ( { name = \"one\"; nodes = 1; } );\n"
    "    slurm = { log_dir = \"/nonexistent/logs\"; };\n"
    "  }\n"
    ");\n";

#define LOG_DIR "/nonexistent/it's \"the\" log dir"
/* The config path the jobs pass on: a quote and a $ that must stay literal. */
#define CONFIG_PATH "/cfg/$HOME's dir/jobs.cfg"

static const struct machine_conf *machine(const struct config *c, const char *name)
{
    struct err e = {0};
    return config_machine(c, name, &e);
}

static const struct fs_conf *filesystem(const struct config *c, const struct machine_conf *m, const char *name)
{
    struct err e = {0};
    return config_fs(c, m, name, &e);
}

static const struct size_conf *size(const struct machine_conf *m, const char *name)
{
    for (int i = 0; i < m->nsizes; i++)
        if (strcmp(m->sizes[i].name, name) == 0)
            return &m->sizes[i];
    return NULL;
}

/* The script of JS as text, the caller frees it; NULL when it failed. */
static char *script(const struct jobscript *js)
{
    char *text = NULL;
    size_t len = 0;
    struct err e = {0};
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    int rc = jobscript_write(f, js, &e);
    fclose(f);
    CHECK(rc == 0 && e.status == 0);
    return text;
}

/* Runs the script's settings (from its marker to the job body) in bash and
 * returns what it prints for the variables, one a line; the caller frees. */
static char *settings_in_bash(const char *text)
{
    static const char show[] =
        "printf '%s\\n' \"$harness\" \"$config\" \"$machine\" \"$filesystem\" \"$job_name\" \"${suite-none}\" "
        "\"${suite_args[*]-}\" \"$ranks\" \"$log_dir\" \"$log_max_age_minutes\" \"$debug\" \"$stage\" \"$checks\" "
        "\"${launch_all[*]}\"\n";
    const char *start = strstr(text, JOBSCRIPT_MARKER), *end = strstr(text, "setup_env() {");
    char path[4096], cmd[4200];
    if (!start || !end || end < start)
        return NULL;
    snprintf(path, sizeof path, "%s/settings.sh", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return NULL;
    fprintf(f, "set -u\n%.*s%s", (int)(end - start), start, show);
    fclose(f);
    snprintf(cmd, sizeof cmd, "bash '%s'", path);
    FILE *p = popen(cmd, "r");
    if (!p)
        return NULL;
    char *out = calloc(1, 8192);
    size_t n = fread(out, 1, 8191, p);
    out[n] = '\0';
    CHECK(pclose(p) == 0);
    return out;
}

/* One combination: its job name, the kind's steps, the settings bash reads
 * back (the launcher last), and whether the filesystem adds directives. */
static const struct good_case {
    const char *machine, *fs, *size, *suite;
    int suffixed;
    const char *name;
    int nodes, tasks, stage, checks;
    const char *time;          /* the size's, else the default */
    /* suite ... launch_all as bash prints them (log age in minutes: 1.5 days, or the default 30) */
    const char *bash_tail;
    int dw;
} good[] = {
    {"cori", "common", "small", "numpy", 0, "cori-mpi4py-import-3-common", 3, 16, 0, 1, "00:40:00",
     "numpy\n--suite numpy\n48\n" LOG_DIR "\n2160\n0\n0\n1\nsrun --kill-on-bad-exit=1\n", 0},
    {"cori", "datawarp", "small", "numpy-scipy", 1, "cori-mpi4py-import-3-datawarp-numpy-scipy", 3, 16, 1, 1,
     "00:40:00", "numpy-scipy\n--suite numpy-scipy\n48\n" LOG_DIR "\n2160\n0\n1\n1\nsrun --kill-on-bad-exit=1\n", 1},
    /* bcast: a stage step (it packs the image a packed bcast unpacks). */
    {"cori", "tmpfs", "large", "numpy", 0, "cori-mpi4py-import-150-tmpfs", 150, 32, 1, 0, "00:40:00",
     "numpy\n--suite numpy\n4800\n" LOG_DIR "\n2160\n0\n1\n0\nsrun --kill-on-bad-exit=1\n", 0},
    {"cori", "shifter", "large", "numpy-scipy", 1, "cori-mpi4py-import-150-shifter-numpy-scipy", 150, 32, 1, 0,
     "00:40:00", "numpy-scipy\n--suite numpy-scipy\n4800\n" LOG_DIR "\n2160\n0\n1\n0\nsrun --kill-on-bad-exit=1\n", 0},
    {"local", "common", "one", NULL, 0, "local-mpi4py-import-1-common", 1, 4, 0, 1, "00:40:00",
     "none\n\n4\n/nonexistent/logs\n43200\n0\n0\n1\nmpirun -n 4 --bind-to it's $HOME\n", 0},
};

/* The #SBATCH lines a cori job has and a local one lacks. */
static const char *const cori_directives[] = {
    "\n#SBATCH --account=mpccc\n", "\n#SBATCH --partition=regular\n", "\n#SBATCH --qos=normal\n",
    "\n#SBATCH --licenses=SCRATCH\n", "\n#SBATCH --constraint=haswell\n", "\n#SBATCH --mail-type=FAIL\n",
};

static void check_directives(const struct good_case *g, const char *text)
{
    char want[1024];
    const char *marker = strstr(text, "\n" JOBSCRIPT_MARKER);
    CHECK(strncmp(text, "#!/bin/bash\n#SBATCH --job-name=", 31) == 0);
    snprintf(want, sizeof want, "#SBATCH --job-name=%s\n#SBATCH --nodes=%d\n#SBATCH --ntasks-per-node=%d\n", g->name,
             g->nodes, g->tasks);
    CHECK_CONTAINS(text, want);
    snprintf(want, sizeof want, "\n#SBATCH --time=%s\n", g->time);
    CHECK_CONTAINS(text, want);
    int cori = strcmp(g->machine, "cori") == 0;
    if (cori)
        snprintf(want, sizeof want, "\n#SBATCH --output=\"/nonexistent/it's \\\"the\\\" log dir/slurm-%s-%%j.out\"\n",
                 g->name);
    else
        snprintf(want, sizeof want, "\n#SBATCH --output=/nonexistent/logs/slurm-%s-%%j.out\n", g->name);
    CHECK_CONTAINS(text, want);
    for (size_t i = 0; i < sizeof cori_directives / sizeof cori_directives[0]; i++) {
        const char *at = strstr(text, cori_directives[i]);
        CHECK(cori ? at && at < marker : !at);
    }
    const char *dw = strstr(text, "\n#DW jobdw capacity=2TB access_mode=striped\n#DW stage_in type=file\n");
    CHECK(g->dw ? dw && dw < marker : !dw);
    CHECK(!g->dw == !strstr(text, "#DW"));
    /* Nothing but directives before the marker: sbatch stops at a command. */
    for (const char *l = text; l && l < marker; l = strchr(l, '\n'), l = l ? l + 1 : l)
        CHECK(*l == '#');
}

static void check_settings(const struct good_case *g, const char *text)
{
    char want[2048];
    int ranks = g->nodes * g->tasks;
    snprintf(want, sizeof want, "\n%s machine=%s filesystem=%s size=%s nodes=%d ranks=%d\n", JOBSCRIPT_MARKER,
             g->machine, g->fs, g->size, g->nodes, ranks);
    CHECK_CONTAINS(text, want);
    snprintf(want, sizeof want, "\nstage=%d\nchecks=%d\n", g->stage, g->checks);
    CHECK_CONTAINS(text, want);
    CHECK_CONTAINS(text, "\nconfig='/cfg/$HOME'\\''s dir/jobs.cfg'\n");
    CHECK_CONTAINS(text, "\nsetup_env() {\n");
    /* What bash makes of the settings: every value as written. */
    char *got = settings_in_bash(text);
    snprintf(want, sizeof want, "/bin/true\n%s\n%s\n%s\n%s\n%s", CONFIG_PATH, g->machine, g->fs, g->name,
             g->bash_tail);
    CHECK(got && strcmp(got, want) == 0);
    if (got && strcmp(got, want) != 0)
        fprintf(stderr, "  bash printed:\n%s  wanted:\n%s", got, want);
    free(got);
}

static void test_good(void)
{
    struct config c;
    struct err e = {0};
    unsetenv("JOBSCRIPT_TEST_UNSET");
    CHECK(config_parse_flags(good_cfg, "jobs.cfg", CONFIG_DEFER_UNSET_VARS, &c, &e) == 0);
    if (e.status) {
        fprintf(stderr, "  config: %s\n", e.msg);
        return;
    }
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        const struct good_case *g = &good[i];
        const struct machine_conf *m = machine(&c, g->machine);
        const struct fs_conf *fs = m ? filesystem(&c, m, g->fs) : NULL;
        const struct size_conf *sz = m ? size(m, g->size) : NULL;
        struct jobscript js;
        CHECK(m && fs && sz);
        if (!m || !fs || !sz)
            continue;
        CHECK(jobscript_init(&js, &c, CONFIG_PATH, "/bin/true", m, fs, sz, g->suite, g->suffixed, &e) == 0);
        if (e.status) {
            fprintf(stderr, "  %s: %s\n", g->name, e.msg);
            memset(&e, 0, sizeof e);
            continue;
        }
        CHECK(strcmp(js.name, g->name) == 0 && js.tasks_per_node == g->tasks);
        char *text = script(&js);
        CHECK(text != NULL);
        if (!text)
            continue;
        check_directives(g, text);
        check_settings(g, text);
        free(text);
    }
    /* The set-up lines, each verbatim and then checked, naming itself. */
    struct jobscript js;
    const struct machine_conf *m = &c.machines[0];
    CHECK(jobscript_init(&js, &c, CONFIG_PATH, "/bin/true", m, &m->fs[0], &m->sizes[0], NULL, 0, &e) == 0);
    char *text = script(&js);
    CHECK(text && strstr(text, "\n    module load python_base\n    status=$?\n"));
    CHECK(text && strstr(text, "fail \"$status\" 'env_setup line 1 failed: module load python_base'\n"));
    CHECK(text && strstr(text, "\n    export GREETING='hi there'\n"));
    CHECK(text && strstr(text, "'env_setup line 2 failed: export GREETING='\\''hi there'\\'''\n"));
    free(text);
    /* A stream that cannot be written: the error names the job. */
    FILE *ro = fopen("/dev/null", "r");
    CHECK(ro && jobscript_write(ro, &js, &e) == -1 && e.status == EXIT_RUNTIME);
    CHECK_CONTAINS(e.msg, "writing the job script cori-mpi4py-import-3-common");
    if (ro)
        fclose(ro);
    config_free(&c);
}

/* A machine whose lines hold a case's pieces: the machine starts on line
 * 1, its filesystem is on 3, its size on 4, its slurm block on 5. */
static const char bad_cfg[] = "machines = ({ name = \"m\"; venv = \"/v\"; cores_per_node = 4;\n"
                              "  %s\n"
                              "  filesystems = ({ name = \"c\"; kind = \"inplace\"; %s });\n"
                              "  sizes = ({ name = \"s\"; nodes = 2; %s });\n"
                              "  %s\n"
                              "});\n";

/* Where a case's TEXT goes: the machine's line (M), its filesystem (F),
 * its size (S), its slurm block beside log_dir = "/logs" (L) or as the
 * whole slurm line (B); or it is the harness (H) or the config path (C). */
static const struct bad_case {
    char where;
    const char *text, *msg;
} bad[] = {
    {'M', "env_setup = [\"module load a\\nmodule load b\"];",
     "bad.cfg:1: machine 'm': env_setup entry 1 must be one non-empty line"},
    {'M', "env_setup = [\"ok\", \"\"];", "bad.cfg:1: machine 'm': env_setup entry 2 must be one non-empty line"},
    {'M', "env_setup = [\"module load a\\r\"];", "bad.cfg:1: machine 'm': env_setup entry 1"},
    {'M', "launcher_args = [\"--mpi=pmi2\", \"a\\nb\"];",
     "bad.cfg:1: machine 'm': launcher_args entry 2 must be one non-empty line"},
    {'M', "launcher_args = [\"\"];", "bad.cfg:1: machine 'm': launcher_args entry 1 must be one non-empty line"},
    {'L', "account = \"a\\nb\";", "bad.cfg:5: machine 'm': slurm account 'a"},
    {'L', "partition = \"reg ular\";", "bad.cfg:5: machine 'm': slurm partition 'reg ular' cannot go on an #SBATCH"},
    {'L', "qos = \"\";", "slurm qos '' cannot go on an #SBATCH line (empty, white space or control characters)"},
    {'L', "license = \"A\\tB\";", "bad.cfg:5: machine 'm': slurm license 'A\tB' cannot go"},
    {'L', "constraint = \"x\\x7f\";", "slurm constraint 'x"},
    {'S', "time = \"00:40 :00\";", "bad.cfg:4: machine 'm': time '00:40 :00' cannot go on an #SBATCH line"},
    {'L', "extra = [\"--mail-type=FAIL\"];",
     "bad.cfg:5: machine 'm': slurm extra line '--mail-type=FAIL' must be one line starting with '#' (#SBATCH, #DW"},
    {'L', "extra = [\"#SBATCH -A a\\nsrun x\"];", "slurm extra line '#SBATCH -A a"},
    {'F', "directives = [\"DW jobdw\"];", "bad.cfg:3: machine 'm': filesystem directives line 'DW jobdw' must be"},
    {'F', "directives = [\"#DW a\\n#DW b\"];", "filesystem directives line '#DW a"},
    {'B', "slurm = { account = \"a\"; };", "bad.cfg:5: machine 'm': --gen-jobs needs slurm { log_dir = \"...\"; }"},
    {'B', "", "bad.cfg:1: machine 'm': --gen-jobs needs slurm { log_dir"},
    {'B', "slurm = { log_dir = \"$JOBSCRIPT_TEST_UNSET/logs\"; };",
     "bad.cfg:5: machine 'm': slurm log_dir '$JOBSCRIPT_TEST_UNSET/logs' must be an absolute path, one line"},
    {'B', "slurm = { log_dir = \"/logs\\nx\"; };", "slurm log_dir '/logs"},
    {'B', "slurm = { log_dir = \"/logs/%j\"; };",
     "bad.cfg:5: machine 'm': slurm log_dir '/logs/%j' cannot hold '%' or '\\' (sbatch's file name patterns)"},
    {'B', "slurm = { log_dir = \"/logs\\\\x\"; };", "log_dir '/logs\\x' cannot hold"},
    {'H', "/nonexistent/harness", "bad.cfg:1: machine 'm': harness /nonexistent/harness (build it with make)"},
    {'H', "DIR", "is not an executable file"},   /* the scratch directory */
    {'H', "FILE", "not-executable is not an executable file"},   /* a file there, mode 0644 */
    {'H', "bin/true", "bad.cfg:1: machine 'm': harness 'bin/true' must be an absolute path"},
    {'H', "/bin/$TRUE", "harness '/bin/$TRUE' must be an absolute path, one line"},
    {'C', "/cfg/a\nb.cfg", "config path '/cfg/a"},
    {'C', "/cfg/x\rb.cfg", "cannot go into a job script: it spans lines"},
};

static const char *bad_harness(const char *h, char *buf, size_t n)
{
    if (strcmp(h, "DIR") == 0)
        return dir;
    if (strcmp(h, "FILE") != 0)
        return h;
    snprintf(buf, n, "%s/not-executable", dir);
    FILE *f = fopen(buf, "w");
    if (f)
        fclose(f);
    chmod(buf, 0644);
    return buf;
}

static void test_bad(void)
{
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const struct bad_case *b = &bad[i];
        char text[2048], slurm[512], hbuf[4096];
        const char *at[4] = {"", "", "", "slurm = { log_dir = \"/logs\"; };"};
        const char *harness = "/bin/true", *config_path = "/cfg/jobs.cfg";
        const char *where = strchr("MFSB", b->where);
        if (where)
            at[where - "MFSB"] = b->text;
        if (b->where == 'L')
            at[3] = (snprintf(slurm, sizeof slurm, "slurm = { log_dir = \"/logs\"; %s };", b->text), slurm);
        if (b->where == 'H')
            harness = bad_harness(b->text, hbuf, sizeof hbuf);
        if (b->where == 'C')
            config_path = b->text;
        struct config c;
        struct err e = {0};
        struct jobscript js;
        snprintf(text, sizeof text, bad_cfg, at[0], at[1], at[2], at[3]);
        CHECK(config_parse_flags(text, "bad.cfg", CONFIG_DEFER_UNSET_VARS, &c, &e) == 0);
        if (e.status) {
            fprintf(stderr, "  case %zu: the config itself: %s\n", i, e.msg);
            continue;
        }
        const struct machine_conf *m = &c.machines[0];
        int rc = jobscript_init(&js, &c, config_path, harness, m, &m->fs[0], &m->sizes[0], NULL, 0, &e);
        CHECK(rc == -1 && e.status == EXIT_USAGE);
        CHECK_CONTAINS(e.msg, b->msg);
        if (rc != -1 || !strstr(e.msg, b->msg))
            fprintf(stderr, "  case %zu: rc %d, \"%s\"\n", i, rc, e.msg);
        config_free(&c);
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s SCRATCH_DIR\n", argv[0]);
        return 2;
    }
    dir = argv[1];
    test_good();
    test_bad();
    return check_summary();
}
