/* config_parse.h: the config parser's internals shared between its files:
 * typed reads of settings that fail as "file:line: what", and the sections. */
#ifndef CONFIG_PARSE_H
#define CONFIG_PARSE_H

#include <libconfig.h>

#include "config/config.h"

/* Without a `suites` list, the benchmark's own: numpy, as in the seed. */
#define DEFAULT_SUITE "numpy"
#define DEFAULT_IMPORT "import numpy"
/* Far above any machine, low enough that nodes x tasks stays an int. */
#define NODES_MAX 1000000
#define CORES_MAX 100000

/* config_get.c: every one returns -1 (or NULL) with E set on a bad value. */
int cfg_bad(struct err *e, const char *path, const config_setting_t *s, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* RAW with $VARS expanded, relative to the file's directory; no symlink
 * resolved (a staged target's components are checked by the stager). */
char *cfg_join_path(const struct config *conf, const char *raw, const config_setting_t *s, struct err *e);
char *cfg_resolve_path(const struct config *conf, const char *raw, const config_setting_t *s, struct err *e);
int cfg_string(const struct config *conf, const config_setting_t *grp, const char *key, int required, char **out,
               struct err *e);
int cfg_path(const struct config *conf, const config_setting_t *grp, const char *key, int required, char **out,
             struct err *e);
/* A finite number in [MIN, MAX]; inf, nan and 1e300 are errors here, not
 * a failure later. cfg_int: a whole one. */
int cfg_number(const struct config *conf, const config_setting_t *grp, const char *key, double dflt, double min,
               double max, double *out, struct err *e);
int cfg_int(const struct config *conf, const config_setting_t *grp, const char *key, int dflt, int min, int max,
            int *out, struct err *e);
int cfg_strings(const struct config *conf, const config_setting_t *grp, const char *key, char ***out, int *n,
                struct err *e);
const config_setting_t *cfg_list(const struct config *conf, const config_setting_t *grp, const char *key,
                                 int required, struct err *e);
int cfg_unique_names(const struct config *conf, const config_setting_t *list, const char *what, struct err *e);
void cfg_free_strings(char **v, int n);

/* config_check.c: the group's keys must all be in KEYS (NULL-ended); an
 * unknown one is named with the nearest known one. WHAT names the group. */
int cfg_known_keys(const struct config *conf, const config_setting_t *grp, const char *what,
                   const char *const *keys, struct err *e);
/* The group's required `name`, fit for job and file names (config_plain_name). */
int cfg_name(const struct config *conf, const config_setting_t *grp, const char *what, char **out, struct err *e);
/* config_kind_opts.c: the keys a filesystem block may hold (SHARED and
 * every kind's); its kind's own settings into FS->opts, checked by the
 * kind; freed by cfg_free_kind_opts. */
int cfg_fs_known_keys(const struct config *conf, const config_setting_t *g, const char *const *shared, struct err *e);
int cfg_parse_kind_opts(const struct config *conf, const config_setting_t *g, struct fs_conf *fs, struct err *e);
void cfg_free_kind_opts(struct fs_conf *fs);

/* config_sections.c: the sections beside machines and filesystems. */
int cfg_parse_size(const struct config *conf, const config_setting_t *g, int cores_per_node, struct size_conf *sz,
                   struct err *e);
int cfg_parse_slurm(const struct config *conf, const config_setting_t *m, struct slurm_conf *sl, struct err *e);
int cfg_parse_suites(struct config *conf, const config_setting_t *root, struct err *e);
int cfg_parse_machine_suites(const struct config *conf, const config_setting_t *g, struct machine_conf *m,
                             struct err *e);
int cfg_parse_db(struct config *conf, const config_setting_t *root, struct err *e);
int cfg_parse_report(struct config *conf, const config_setting_t *root, struct err *e);
/* A filesystem's staging keys (lock_timeout, in it or its machine MG) and
 * the checks of a staged or broadcast path (FS->path resolved already). */
int cfg_parse_staging(const struct config *conf, const config_setting_t *mg, const config_setting_t *g,
                      struct fs_conf *fs, struct err *e);
/* config_probe.c: the filesystem's probe keys into FS->probe (any kind);
 * freed by cfg_free_probe. */
int cfg_parse_probe(const struct config *conf, const config_setting_t *g, struct fs_conf *fs, struct err *e);
void cfg_free_probe(struct fs_conf *fs);

#endif
