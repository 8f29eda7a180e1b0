/* dirs.h: directories the harness creates for its own output (the spool,
 * the report, the job scripts and their logs), with every missing parent. */
#ifndef DIRS_H
#define DIRS_H

#include "base/err.h"

/* mkdir -p DIR. An error names the component that could not be made, or
 * DIR when it exists as something other than a directory. */
int make_dirs(const char *dir, struct err *e);
/* PATH as an absolute path (the working directory before a relative one),
 * not resolved: its symlinks are for the caller to judge. A new string. */
char *absolute_path(const char *path);

#endif
