/* config_parse.h: the config parser's internals shared between its files:
 * typed reads of settings that fail as "file:line: what", and the sections. */
#ifndef CONFIG_PARSE_H
#define CONFIG_PARSE_H

#include <libconfig.h>

#include "config.h"

/* Without a `suites` list, the benchmark's own: numpy, as in the seed. */
#define DEFAULT_SUITE "numpy"
#define DEFAULT_IMPORT "import numpy"

/* config_get.c: every one returns -1 (or NULL) with E set on a bad value. */
int cfg_bad(struct err *e, const char *path, const config_setting_t *s, const char *fmt, const char *a,
            const char *b);
/* RAW with $VARS expanded, relative to the file's directory; no symlink
 * resolved (a staged target's components are checked by the stager). */
char *cfg_join_path(const struct config *conf, const char *raw, const config_setting_t *s, struct err *e);
char *cfg_resolve_path(const struct config *conf, const char *raw, const config_setting_t *s, struct err *e);
int cfg_string(const struct config *conf, const config_setting_t *grp, const char *key, int required, char **out,
               struct err *e);
int cfg_path(const struct config *conf, const config_setting_t *grp, const char *key, int required, char **out,
             struct err *e);
int cfg_number(const struct config *conf, const config_setting_t *grp, const char *key, double dflt, double min,
               double *out, struct err *e);
int cfg_int(const struct config *conf, const config_setting_t *grp, const char *key, int dflt, int min, int *out,
            struct err *e);
int cfg_strings(const struct config *conf, const config_setting_t *grp, const char *key, char ***out, int *n,
                struct err *e);
const config_setting_t *cfg_list(const struct config *conf, const config_setting_t *grp, const char *key,
                                 int required, struct err *e);
int cfg_unique_names(const struct config *conf, const config_setting_t *list, const char *what, struct err *e);
void cfg_free_strings(char **v, int n);

/* config_sections.c: the sections beside machines and filesystems. */
int cfg_parse_size(const struct config *conf, const config_setting_t *g, struct size_conf *sz, struct err *e);
int cfg_parse_slurm(const struct config *conf, const config_setting_t *m, struct slurm_conf *sl, struct err *e);
int cfg_parse_suites(struct config *conf, const config_setting_t *root, struct err *e);
int cfg_parse_machine_suites(const struct config *conf, const config_setting_t *g, struct machine_conf *m,
                             struct err *e);
int cfg_parse_db(struct config *conf, const config_setting_t *root, struct err *e);
/* A filesystem's staging keys (lock_timeout, in it or its machine MG) and
 * the checks of a staged or broadcast path (FS->path resolved already). */
int cfg_parse_staging(const struct config *conf, const config_setting_t *mg, const config_setting_t *g,
                      struct fs_conf *fs, struct err *e);

#endif
