/* cli.c: getopt_long parsing and the usage text. Checks here are only
 * about the command line itself; the config is checked in config.c. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

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
        "OPTIONS\n"
        "    -c, --config FILE      libconfig file describing machines and filesystems\n"
        "    -m, --machine NAME     machine block of the config to use\n"
        "    -f, --filesystem NAME  filesystem of that machine to measure\n"
        "    -j, --json PATH        also write the result as one JSON object to PATH;\n"
        "                           `-` writes it to stdout and the table to stderr\n"
        "    -i, --import STMT      python statement to time (default: the config's,\n"
        "                           else \"import numpy\")\n"
        "    -t, --timeout SECONDS  kill a child still running after this long and\n"
        "                           count it as timed out (default: the config's)\n"
        "        --child PROGRAM    time PROGRAM (no arguments) instead of the import;\n"
        "                           for measuring the harness's own overhead\n"
        "        --skip-checks      skip the set-up checks (with --child)\n"
        "    -q, --quiet            no progress lines, only the result\n"
        "    -h, --help             this text\n"
        "    -V, --version          the harness's version\n"
        "\n"
        "EXIT STATUS\n"
        "    0  every rank's child succeeded\n"
        "    1  the run completed, but some child failed or timed out\n"
        "    2  bad command line or configuration (the message names file and line)\n"
        "    3  the set-up is wrong: no python in the virtualenv, or the imported\n"
        "       module resolves outside it\n"
        "    4  a system or MPI failure in the harness itself\n"
        "    5  the database could not be used and nothing was kept on disk\n"
        "\n"
        "EXAMPLES\n"
        "    mpirun --oversubscribe -n 4 build/harness --config conf/local.cfg \\\n"
        "        --machine local --filesystem common --json result.json\n",
        out);
}

static int parse_seconds(const char *arg, double *out, struct err *e)
{
    char *end;
    errno = 0;
    double v = strtod(arg, &end);
    if (errno || end == arg || *end || !(v > 0))
        return err_set(e, EXIT_USAGE, "--timeout '%s' is not a positive number of seconds", arg);
    *out = v;
    return 0;
}

int cli_parse(int argc, char **argv, struct options *o, struct err *e)
{
    enum { OPT_CHILD = 256, OPT_SKIP_CHECKS };
    static const struct option longs[] = {
        {"config", required_argument, 0, 'c'},   {"machine", required_argument, 0, 'm'},
        {"filesystem", required_argument, 0, 'f'}, {"json", required_argument, 0, 'j'},
        {"import", required_argument, 0, 'i'},   {"timeout", required_argument, 0, 't'},
        {"child", required_argument, 0, OPT_CHILD}, {"skip-checks", no_argument, 0, OPT_SKIP_CHECKS},
        {"quiet", no_argument, 0, 'q'},          {"help", no_argument, 0, 'h'},
        {"version", no_argument, 0, 'V'},        {0, 0, 0, 0},
    };
    memset(o, 0, sizeof *o);
    o->mode = MODE_RUN;
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, ":c:m:f:j:i:t:qhV", longs, NULL)) != -1) {
        switch (c) {
        case 'c': o->config = optarg; break;
        case 'm': o->machine = optarg; break;
        case 'f': o->filesystem = optarg; break;
        case 'j': o->json = optarg; break;
        case 'i': o->import_stmt = optarg; break;
        case 't':
            if (parse_seconds(optarg, &o->timeout, e) < 0)
                return -1;
            break;
        case OPT_CHILD: o->child = optarg; break;
        case OPT_SKIP_CHECKS: o->skip_checks = 1; break;
        case 'q': o->quiet = 1; break;
        case 'h': o->mode = MODE_HELP; return 0;
        case 'V': o->mode = MODE_VERSION; return 0;
        case ':': return err_set(e, EXIT_USAGE, "option '%s' needs a value (see --help)", argv[optind - 1]);
        default: return err_set(e, EXIT_USAGE, "unknown option '%s' (see --help)", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return err_set(e, EXIT_USAGE, "unexpected argument '%s' (see --help)", argv[optind]);
    if (o->mode == MODE_RUN) {
        if (!o->config)
            return err_set(e, EXIT_USAGE, "--config FILE is required (see --help)");
        if (!o->machine)
            return err_set(e, EXIT_USAGE, "--machine NAME is required (see --help)");
        if (!o->filesystem)
            return err_set(e, EXIT_USAGE, "--filesystem NAME is required (see --help)");
    }
    if (o->import_stmt && !o->import_stmt[0])
        return err_set(e, EXIT_USAGE, "--import needs a python statement, got ''");
    return 0;
}
