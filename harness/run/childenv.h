/* childenv.h: the environment and argument vectors of the measured child:
 * the venv's own python, as `source bin/activate` would set it up. */
#ifndef CHILDENV_H
#define CHILDENV_H

#include "base/err.h"

struct child_cmd {
    char *python;        /* VENV/bin/python */
    char **envp;         /* environ with VIRTUAL_ENV, PATH; PYTHONHOME removed */
    char *argv_import[4];/* python -c STMT, or the override program */
    char *argv_startup[4]; /* python -c pass */
    char *argv_profile[6]; /* python -X importtime -c STMT */
};

/* OVERRIDE, when not NULL, replaces the import child with one program
 * run with no arguments (make bench uses /bin/true). */
int child_cmd_init(struct child_cmd *c, const char *venv, const char *stmt, const char *override, struct err *e);
/* Adds NAME=VALUE to the child's environment (a kind's own setting, such
 * as PYTHONPYCACHEPREFIX on node-local memory for a read-only image). */
void child_cmd_add_env(struct child_cmd *c, const char *name, const char *value);
void child_cmd_free(struct child_cmd *c);

#endif
