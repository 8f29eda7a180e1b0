/* fs_image_build.c: the kind `image`'s squashfs file, built from the venv by
 * mksquashfs when the venv's manifest differs from the one it was built
 * from, through a temporary file renamed over the old image. */
#include "fs/fs_image.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/atomic_write.h"
#include "../staging/bcast_tree.h"
#include "base/clock.h"
#include "base/slurp.h"
#include "proc/reap.h"
#include "proc/spawn.h"
#include "proc/tool.h"
#include "../staging/stage.h"

/* The venv as the stager sees it (entries, sizes, mtimes, modes, links;
 * no *.pyc) in bytes, for comparing with the manifest the image was
 * built from. */
static char *venv_manifest(const char *venv, size_t *len, struct err *e)
{
    struct tree_manifest m;
    if (tree_manifest_walk(venv, &m, e) < 0)
        return NULL;
    char *buf = tree_manifest_pack(&m, len);
    tree_manifest_free(&m);
    return buf;
}

static int up_to_date(const char *image, const char *manifest_path, const char *want, size_t len)
{
    struct stat st;
    struct err ignored = {0};
    size_t have_len = 0;
    if (stat(image, &st) < 0 || !S_ISREG(st.st_mode))
        return 0;
    char *have = slurp("the image manifest", manifest_path, len + 1, &have_len, EXIT_RUNTIME, &ignored);
    int same = have && have_len == len && memcmp(have, want, len) == 0;
    free(have);
    return same;
}

static int squash(const char *venv, const char *tmp, struct err *e)
{
    /* Bytecode stays out: it goes to PYTHONPYCACHEPREFIX on node-local
     * memory (README, "The image kind"). Level 3: the build is quick and
     * the image near what level 15 makes. */
    char *argv[] = {"mksquashfs", (char *)venv, (char *)tmp, "-comp", "zstd", "-Xcompression-level", "3",
                    "-noappend", "-quiet", "-no-progress", "-no-xattrs", "-wildcards", "-e", "... *.pyc",
                    "-e", "... __pycache__", NULL};
    return tool_run(argv, 1800, "building the image", 0, e);
}

/* One build of an image at a time (cron may start two runs): a flock on
 * IMAGE.lock in the image's directory DFD (BASE.lock there), held until
 * the descriptor is closed, waited for at most TIMEOUT s like a stage's.
 * Holding it, every BASE.tmp.* there is a dead build's leftover. */
static int lock_and_sweep(int dfd, const char *image, const char *base, double timeout, FILE *log, struct err *e)
{
    char name[512], shown[4200], what[4300];
    double waited;
    snprintf(name, sizeof name, "%s.lock", base);
    snprintf(shown, sizeof shown, "%s.lock", image);
    snprintf(what, sizeof what, "another build of the image %s is running", image);
    struct lock_wait w = {.shown = shown, .what = what, .timeout = timeout, .log = log};
    int fd = stage_lock_open(dfd, name, shown, e);
    if (fd < 0 || stage_lock_wait(fd, &w, &waited, e) < 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    snprintf(name, sizeof name, "%s.tmp.", base);
    DIR *d = fdopendir(dup(dfd));
    struct dirent *de;
    while (d && (de = readdir(d)))
        if (strncmp(de->d_name, name, strlen(name)) == 0)
            unlinkat(dfd, de->d_name, 0);
    if (d)
        closedir(d);
    return fd;
}

static int build(const char *venv, const char *image, const char *want, size_t len, struct err *e)
{
    char manifest_path[4200], tmp[4200];
    snprintf(manifest_path, sizeof manifest_path, "%s.manifest", image);
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", image, (long)getpid());
    int rc = squash(venv, tmp, e);
    if (rc == 0 && rename(tmp, image) < 0)
        rc = err_sys(e, EXIT_RUNTIME, "cannot rename %s to %s", tmp, image);
    /* The manifest last: an image without it is rebuilt next time. */
    if (rc == 0)
        rc = atomic_write(manifest_path, want, len, 0644, e);
    if (rc < 0)
        unlink(tmp);
    return rc;
}

int image_build(const char *venv, const char *image, double lock_timeout, FILE *log, struct image_figures *fig,
                struct err *e)
{
    char manifest_path[4200], parent[4200];
    size_t len;
    double t0 = now_seconds();
    snprintf(manifest_path, sizeof manifest_path, "%s.manifest", image);
    snprintf(parent, sizeof parent, "%s", image);
    char *slash = strrchr(parent, '/');
    const char *base = slash ? slash + 1 : image;
    if (slash == parent)
        parent[1] = '\0';
    else if (slash)
        *slash = '\0';
    /* The image runs as the venv: its directory must be ours alone, or a
     * neighbour could swap the image or its manifest under the next run. */
    char *want = venv_manifest(venv, &len, e);
    int dfd = want ? stage_trusted_dir(parent, e) : -1;
    if (dfd < 0) {
        free(want);
        return err_wrap(e, "the image's directory: ");
    }
    int lock = lock_and_sweep(dfd, image, base, lock_timeout, log, e);
    close(dfd);
    if (lock < 0) {
        free(want);
        return err_wrap(e, "the image's directory %s: ", parent);
    }
    int rc = 0;
    fig->built = !up_to_date(image, manifest_path, want, len);
    if (fig->built)
        rc = build(venv, image, want, len, e);
    close(lock);
    free(want);
    struct stat s;
    if (rc == 0 && stat(image, &s) == 0)
        fig->bytes = (long long)s.st_size;
    fig->build_s = now_seconds() - t0;
    return rc;
}
