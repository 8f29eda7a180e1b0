/* checks.h: the set-up checks one process makes before the timed phase,
 * in the seed's order: python, module location, warm-up, metadata ops. */
#ifndef CHECKS_H
#define CHECKS_H

#include <stdio.h>

#include "run/childenv.h"
#include "base/err.h"
#include "result/result.h"
#include "run/metaops.h"

/* Fills S. Returns -1 with E set (EXIT_SETUP) where the measurement would
 * be meaningless: python missing, or a module resolving outside VENV.
 * An import that merely fails is recorded in S and left to the timed
 * phase to count. LOG, when not NULL, gets one progress line per step. */
int checks_run(const struct child_cmd *cmd, const char *venv, const char *stmt, double timeout,
               struct setup_info *s, FILE *log, struct err *e);

#endif
