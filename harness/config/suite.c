/* suite.c: choosing the statement a run times, and listing what the
 * machine's suites need installed. Suites are defined in the config. */
#include "config/suite.h"

#include <stdio.h>
#include <string.h>

#include "base/err.h"

static int carries(const struct machine_conf *m, const char *name)
{
    for (int i = 0; i < m->nsuites; i++)
        if (strcmp(m->suites[i], name) == 0)
            return 1;
    return 0;
}

int suite_choose(const struct config *conf, const struct machine_conf *m, const char *import_stmt, const char *suite,
                 struct suite_choice *out, struct err *e)
{
    if (import_stmt) {
        *out = (struct suite_choice){SUITE_CUSTOM, import_stmt};
        return 0;
    }
    if (suite) {
        if (!carries(m, suite)) {
            char list[512] = "";
            for (int i = 0; i < m->nsuites; i++)
                snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "", m->suites[i]);
            return err_set(e, EXIT_USAGE, "%s:%d: machine '%s' does not carry suite '%s' (it has: %s)", conf->path,
                           m->line, m->name, suite, list);
        }
        const struct suite_conf *su = config_suite(conf, suite);
        *out = (struct suite_choice){su->name, su->import_stmt};
        return 0;
    }
    if (m->import_stmt) {
        *out = (struct suite_choice){SUITE_CUSTOM, m->import_stmt};
        return 0;
    }
    const struct suite_conf *su = config_suite(conf, m->suites[0]);
    *out = (struct suite_choice){su->name, su->import_stmt};
    return 0;
}

static int listed(const struct config *conf, const struct machine_conf *m, int upto_suite, int upto_pkg,
                  const char *pkg)
{
    for (int i = 0; i <= upto_suite; i++) {
        const struct suite_conf *su = config_suite(conf, m->suites[i]);
        for (int j = 0; j < su->npackages && (i < upto_suite || j < upto_pkg); j++)
            if (strcmp(su->packages[j], pkg) == 0)
                return 1;
    }
    return 0;
}

int suite_packages_print(const char *config, const char *machine, struct err *e)
{
    struct config conf;
    if (config_load_flags(config, CONFIG_DEFER_UNSET_VARS, &conf, e) < 0)
        return e->status;
    const struct machine_conf *m = config_machine(&conf, machine, e);
    for (int i = 0; m && i < m->nsuites; i++) {
        const struct suite_conf *su = config_suite(&conf, m->suites[i]);
        for (int j = 0; j < su->npackages; j++)
            if (!listed(&conf, m, i, j, su->packages[j]))
                printf("%s\n", su->packages[j]);
    }
    config_free(&conf);
    return e->status ? e->status : EXIT_ALL_OK;
}
