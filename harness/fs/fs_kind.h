/* fs_kind.h: a filesystem kind as one row: its facts, its settings, its
 * figures and its operations. Config, output and jobs ask the row. */
#ifndef FS_KIND_H
#define FS_KIND_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdio.h>

#include "base/err.h"
#include "base/opt_spec.h"
#include "fs/fs_result.h"

struct fs_run;
struct fs_kind;

/* How a filesystem's metadata load is read (README "The metadata server's
 * load"): a command printing named counters, run before and after the
 * import phase. Any kind may have one. */
enum probe_scope { PROBE_NODE = 0, PROBE_JOB = 1 };

struct probe_conf {
    char *command;           /* run as /bin/sh -c COMMAND; NULL: no probe */
    enum probe_scope scope;  /* node: one leader per node, summed; job: rank 0 alone */
    char **counters;         /* the names kept and summed; NULL: every one printed */
    int ncounters;
    double timeout;          /* seconds before the probe is killed */
};

/* A filesystem of a machine, as configured. */
struct fs_conf {
    char *name;
    char *path;              /* where the measured venv lives: absolute, expanded */
    const struct fs_kind *kind;
    char **directives;       /* verbatim job-script lines for this filesystem
                              * only, e.g. DataWarp's "#DW jobdw ..." */
    int ndirectives;
    double lock_timeout;     /* seconds to wait for another stage's lock
                              * (lock_timeout, the filesystem's or the machine's; default 300) */
    int line;                /* line of this block in the file, for messages */
    struct probe_conf probe;
    void *opts;              /* the kind's own settings: its struct, as its option table lays it out */
};

/* What a kind does at run time; each collective over the run's ranks
 * (a failure anywhere reaches every rank). NULL: nothing to do. */
struct fs_ops {
    /* Puts the venv where this rank imports it from: *VENV (a new string,
     * also on failure) names it; ST, on rank 0, gets the staging figures. */
    int (*prepare)(const struct fs_run *f, char **venv, struct staging_result *st, struct err *e);
    /* After rank 0's set-up checks, whose warm-up import wrote bytecode
     * into rank 0's copy only: the same warm-up in every other copy, so
     * that a node's ranks do not all race to write it. ST->leaders (set on
     * every rank by prepare) counts the copies. NULL: one copy serves all. */
    int (*warm)(const struct fs_run *f, const struct staging_result *st, char *const *argv, char *const *envp,
                double timeout, struct err *e);
    /* At the end of the run, also of a failed one, once every rank is
     * done with VENV (prepare's): what the kind undoes or removes; rank
     * 0's ST gets what it did. */
    int (*finish)(const struct fs_run *f, const char *venv, struct staging_result *st, struct err *e);
    /* --stage-only, and the jobs' stage step before the run (F->comm may
     * be MPI_COMM_NULL: this one process). NULL: the kind has no such step. */
    int (*stage)(const struct fs_run *f, struct staging_result *st, struct err *e);
    /* The children's environment: where they keep bytecode (a new string)
     * when the venv is read-only; NULL: beside the sources, as usual. */
    char *(*pycache_prefix)(const struct fs_conf *fs, const char *venv);
};

struct fs_kind {
    const char *name;        /* as in the config's `kind` */
    const char *how;         /* "used in place", ... for messages */
    int path_required;       /* without `path` the kind has no place (in place: the venv's own) */
    int checks_step;         /* its venv exists before the run: --checks-only and the jobs' checks step */
    int is_default;          /* a filesystem without `kind` is of this kind (one kind has it) */
    const char *missing_hint; /* what to do about a missing venv; one %s: the filesystem's path */
    const struct opt_spec *options; /* its own settings, ended by a NULL key; NULL: none */
    size_t opts_size;        /* the struct they land in (fs_conf.opts) */
    /* Checks between its settings once parsed; E without file or line. */
    int (*check)(const struct fs_conf *fs, struct err *e);
    /* Its staging lines of the text table (NULL: the copy counts) and its
     * figures as a JSON object (NULL: none). */
    void (*render_text)(const struct staging_result *st, FILE *out);
    json_object *(*render_json)(const struct staging_result *st);
    struct fs_ops ops;
};

/* fs_kinds.c: every kind, one row each, ended by NULL. */
extern const struct fs_kind *const fs_kinds[];

/* fs_kind.c: NAME's kind; NULL when NAME is none. NULL: the default kind. */
const struct fs_kind *fs_kind_find(const char *name);
/* "inplace, staged, ...": the choices, for messages; returns BUF. */
char *fs_kind_names(char *buf, size_t size);
/* K's setting KEY; NULL when K takes none. */
const struct opt_spec *fs_kind_option(const struct fs_kind *k, const char *key);
/* The names of the kinds that take KEY, comma-separated, into BUF; "" when none. */
char *fs_kinds_taking(const char *key, char *buf, size_t size);
/* The words of the first kind's setting KEY into BUF (NULL: no kind has
 * such a word setting); for a command-line override checked before MPI. */
const char *const *fs_option_words(const char *key);
/* FS's word setting KEY set to VALUE, when its kind takes KEY (else
 * nothing); VALUE not one of its words is EXIT_USAGE. */
int fs_set_word(struct fs_conf *fs, const char *key, const char *value, struct err *e);

#endif
