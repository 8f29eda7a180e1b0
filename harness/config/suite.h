/* suite.h: which import statement a run times: --import, --suite, the
 * machine's own statement or its default suite; and --suite-packages. */
#ifndef SUITE_H
#define SUITE_H

#include "config/config.h"
#include "base/err.h"

/* The suite label of a statement given by --import or a machine's `import`. */
#define SUITE_CUSTOM "custom"

struct suite_choice {
    const char *name;        /* the suite, or SUITE_CUSTOM */
    const char *stmt;
};

/* In order: IMPORT_STMT (--import), SUITE (--suite: one the machine
 * carries), the machine's `import`, the machine's first suite. */
int suite_choose(const struct config *conf, const struct machine_conf *m, const char *import_stmt, const char *suite,
                 struct suite_choice *out, struct err *e);
/* --suite-packages: the pip packages MACHINE's suites need, once each, on stdout. */
int suite_packages_print(const char *config, const char *machine, struct err *e);

#endif
