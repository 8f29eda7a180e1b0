/* remove_tree.c: a directory tree removed entry by entry through
 * descriptors (openat O_NOFOLLOW, unlinkat): a symlink is never followed. */
#include "base/remove_tree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Empties the open directory FD; returns entries left behind or -1. */
static int empty_dir(int fd, const char *shown, struct err *e)
{
    int dup_fd = dup(fd);
    DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
    if (!d) {
        if (dup_fd >= 0)
            close(dup_fd);
        return err_sys(e, EXIT_RUNTIME, "cannot list %s", shown);
    }
    int rc = 0;
    for (struct dirent *de; rc == 0 && (de = readdir(d));) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        rc = remove_tree_at(fd, de->d_name, shown, e);
    }
    closedir(d);
    return rc;
}

int remove_tree_at(int dfd, const char *name, const char *shown, struct err *e)
{
    struct stat st;
    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return errno == ENOENT ? 0 : err_sys(e, EXIT_RUNTIME, "cannot remove %s (%s)", shown, name);
    if (S_ISDIR(st.st_mode)) {
        int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        /* A read-only directory of the copy must still be emptied. */
        if (fd < 0 || ((st.st_mode & 0700) != 0700 && fchmod(fd, 0700) < 0)) {
            if (fd >= 0)
                close(fd);
            return err_sys(e, EXIT_RUNTIME, "cannot remove %s (%s)", shown, name);
        }
        int rc = empty_dir(fd, shown, e);
        close(fd);
        if (rc < 0)
            return -1;
    }
    if (unlinkat(dfd, name, S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) < 0 && errno != ENOENT)
        return err_sys(e, EXIT_RUNTIME, "cannot remove %s (%s)", shown, name);
    return 0;
}
