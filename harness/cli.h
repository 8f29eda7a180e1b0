/* cli.h: the command line: which mode runs and its options, parsed once
 * into struct options, plus the usage text that doubles as the man page. */
#ifndef CLI_H
#define CLI_H

#include <stdio.h>

#include "err.h"

enum mode {
    MODE_RUN,            /* the benchmark (default) */
    MODE_HELP,
    MODE_VERSION,
};

struct options {
    enum mode mode;
    const char *config;
    const char *machine;
    const char *filesystem;
    const char *json;        /* path, or "-" for stdout */
    const char *import_stmt; /* overrides the config's */
    double timeout;          /* overrides the config's when > 0 */
    const char *child;       /* replaces the python child (make bench) */
    int skip_checks;         /* no setup checks (make bench) */
    int quiet;
};

/* Fills O from ARGV. Returns 0, or -1 with E set (EXIT_USAGE). */
int cli_parse(int argc, char **argv, struct options *o, struct err *e);
void cli_usage(FILE *out);

#define HARNESS_VERSION "0.1.0"

#endif
