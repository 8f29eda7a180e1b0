/* fs_image_mount.c: an image mounted on, and unmounted from, one node's mount
 * point: squashfuse or the kernel's loop mount, and a killed run's stale
 * mount found in /proc/self/mountinfo and undone. */
#include "fs/fs_image.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "proc/spawn.h"
#include "proc/tool.h"
#include "../staging/stage.h"

/* DIR's filesystem type if DIR is a mount point in this process's view
 * (mountinfo: "id parent dev root POINT opts [optional...] - TYPE src
 * superopts"), into TYPE; 0: not mounted. Points with spaces are
 * escaped there, so never ours: config paths hold none. */
static int mounted_type(const char *dir, char *type, size_t n)
{
    FILE *f = fopen("/proc/self/mountinfo", "re");
    char line[8192];
    int found = 0;
    while (f && !found && fgets(line, sizeof line, f)) {
        char *save = NULL, *tok = strtok_r(line, " ", &save);
        for (int i = 1; tok && i < 5; i++)
            tok = strtok_r(NULL, " ", &save);
        if (!tok || strcmp(tok, dir) != 0)
            continue;
        while ((tok = strtok_r(NULL, " ", &save)) && strcmp(tok, "-") != 0)
            ;
        tok = tok ? strtok_r(NULL, " ", &save) : NULL;
        snprintf(type, n, "%s", tok ? tok : "");
        found = 1;
    }
    if (f)
        fclose(f);
    return found;
}

int image_is_mounted(const char *dir)
{
    char type[64];
    return mounted_type(dir, type, sizeof type);
}

/* The kernel's own mount (squashfs) goes with umount; a FUSE one with
 * fusermount, which needs no root. LAZY: detach it now, gone when idle. */
static int unmount_with(const char *dir, const char *type, int lazy, struct err *e)
{
    char *tool = NULL;
    const char *argv[5] = {0};
    int n = 0;
    if (strncmp(type, "fuse", 4) == 0) {
        tool = find_on_path("fusermount3");
        argv[n++] = tool ? "fusermount3" : "fusermount";
        argv[n++] = "-u";
        if (lazy)
            argv[n++] = "-z";
    } else {
        argv[n++] = "umount";
        if (lazy)
            argv[n++] = "-l";
    }
    argv[n++] = dir;
    free(tool);
    return tool_run((char *const *)argv, 60, "unmounting the image", 0, e);
}

int image_unmount(const char *dir, struct err *e)
{
    char type[64];
    if (!mounted_type(dir, type, sizeof type))
        return 0;
    if (unmount_with(dir, type, 0, e) == 0 || !image_is_mounted(dir))
        return 0;
    /* Busy: a child a killed run left still holds it. */
    struct err lazy = {0};
    if (unmount_with(dir, type, 1, &lazy) < 0)
        return -1;
    *e = (struct err){0};
    return 0;
}

int image_mount(const char *image, const char *dir, enum image_mounter how, FILE *log, double *seconds, struct err *e)
{
    double t0 = now_seconds();
    if (image_is_mounted(dir)) {
        if (log)
            fprintf(log, "harness: %s is still mounted (a killed run's): unmounting it first\n", dir);
        if (image_unmount(dir, e) < 0)
            return -1;
    }
    /* Mounted on, it is where every rank imports from: ours alone. */
    int fd = stage_trusted_dir(dir, e);
    if (fd < 0)
        return err_wrap(e, "the image's mount point: ");
    close(fd);
    if (how == IMAGE_MOUNT_LOOP && geteuid() != 0)
        return err_set(e, EXIT_SETUP, "mount_with = \"loop\" needs root (the kernel's loop mount); use \"squashfuse\"");
    char what[4200];
    snprintf(what, sizeof what, "mounting the image %s at %s", image, dir);
    char *fuse[] = {"squashfuse", (char *)image, (char *)dir, NULL};
    char *loop[] = {"mount", "-t", "squashfs", "-o", "ro,loop,nodev,nosuid", (char *)image, (char *)dir, NULL};
    if (tool_run(how == IMAGE_MOUNT_LOOP ? loop : fuse, 60, what, how == IMAGE_MOUNT_SQUASHFUSE, e) < 0)
        return -1;
    *seconds = now_seconds() - t0;
    return 0;
}
