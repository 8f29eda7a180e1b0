/* remove_tree.h: removing a tree through descriptors without following
 * symlinks, for what a run made and no longer needs. */
#ifndef REMOVE_TREE_H
#define REMOVE_TREE_H

#include "base/err.h"

/* Removes NAME under the directory DFD and everything below it; a symlink
 * is removed itself, never followed. SHOWN names it in errors. */
int remove_tree_at(int dfd, const char *name, const char *shown, struct err *e);

#endif
