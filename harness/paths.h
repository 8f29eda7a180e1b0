/* paths.h: directories the harness creates for its own output (the spool,
 * the report), with every missing parent. */
#ifndef PATHS_H
#define PATHS_H

#include "err.h"

/* mkdir -p DIR. An error names the component that could not be made. */
int make_dirs(const char *dir, struct err *e);

#endif
