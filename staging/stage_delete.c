/* stage_delete.c: target entries the source does not have: --delete
 * removes them (never bytecode), and a killed stage's temporaries go. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../staging/stage_ctx.h"

static int cmp_key(const void *key, const void *item)
{
    return strcmp(key, *(char *const *)item);
}

/* Runs write bytecode into the target; the stager's own files stay too. */
static int kept(const struct stage_ctx *c, const char *name)
{
    return stage_is_pyc(name) || strcmp(name, "__pycache__") == 0 || stage_is_own(c, name);
}

/* Removes PATH's last component NAME below DFD, a whole tree if it is a
 * directory (symlinks removed, never followed). */
static int remove_at(struct stage_ctx *c, int dfd, const char *name, char *path, int count)
{
    struct stat t;
    if (fstatat(dfd, name, &t, AT_SYMLINK_NOFOLLOW) < 0)
        return errno == ENOENT ? 0 : err_sys(c->e, EXIT_RUNTIME, "cannot stat %s", path);
    if (S_ISDIR(t.st_mode)) {
        int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        char **names;
        size_t n;
        if (fd < 0 || ((t.st_mode & 0700) != 0700 && fchmod(fd, 0700) < 0) || stage_list_dir(fd, &names, &n) < 0) {
            if (fd >= 0)
                close(fd);
            return err_sys(c->e, EXIT_RUNTIME, "cannot remove %s", path);
        }
        size_t len = strlen(path);
        int rc = 0;
        for (size_t i = 0; i < n && rc == 0; i++) {
            snprintf(path + len, PATH_MAX - len, "/%s", names[i]);
            rc = remove_at(c, fd, names[i], path, count);
            path[len] = '\0';
        }
        stage_free_names(names, n);
        close(fd);
        if (rc < 0)
            return -1;
    }
    if (unlinkat(dfd, name, S_ISDIR(t.st_mode) ? AT_REMOVEDIR : 0) < 0)
        return err_sys(c->e, EXIT_RUNTIME, "cannot remove %s", path);
    if (count)
        c->st->deleted++;
    return 0;
}

int stage_remove(struct stage_ctx *c, int dfd, const char *name, int count)
{
    char path[PATH_MAX];
    if (stage_dir_writable(c) < 0)
        return -1;
    stage_dst_path(c, name, path);
    return remove_at(c, dfd, name, path, count);
}

int stage_extras(struct stage_ctx *c, int dfd, char *const *names, size_t n)
{
    char **have, p[PATH_MAX];
    size_t nhave;
    if (stage_list_dir(dfd, &have, &nhave) < 0)
        return err_sys(c->e, EXIT_RUNTIME, "cannot read directory %s", stage_dst_path(c, "", p));
    int rc = 0;
    for (size_t i = 0; i < nhave && rc == 0; i++) {
        const char *h = have[i];
        if (stage_is_tmp_name(h))
            rc = stage_remove(c, dfd, h, 0);
        else if (c->o->delete_extra && !kept(c, h) && !bsearch(h, names, n, sizeof *names, cmp_key))
            rc = stage_remove(c, dfd, h, 1);
    }
    stage_free_names(have, nhave);
    return rc;
}
