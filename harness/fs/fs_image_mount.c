/* fs_image_mount.c: an image mounted on, and unmounted from, one node's mount
 * point (squashfuse or the kernel's loop mount), and a killed run's mounts
 * of it found in /proc/self/mountinfo: only a mount provably this image's. */
#include "fs/fs_image.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/slurp.h"
#include "proc/spawn.h"
#include "proc/tool.h"
#include "../staging/stage.h"

/* One line of mountinfo, its escapes undone. */
struct mount_entry {
    char point[PATH_MAX], type[64], source[PATH_MAX], options[1024];
};

/* mountinfo writes a space in a path as \040 (a tab \011, a newline
 * \012, a backslash \134): undone in place. */
static void unescape(char *s)
{
    char *w = s;
    for (const char *r = s; *r;) {
        int octal = r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' && r[3] >= '0' &&
                    r[3] <= '7';
        if (!octal) {
            *w++ = *r++;
            continue;
        }
        *w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
        r += 4;
    }
    *w = '\0';
}

/* "id parent dev root POINT opts [optional...] - TYPE SOURCE superopts" */
static int parse_mount(char *line, struct mount_entry *m)
{
    char *save = NULL, *tok = strtok_r(line, " \n", &save);
    for (int i = 0; tok && i < 4; i++)
        tok = strtok_r(NULL, " \n", &save);
    if (!tok)
        return 0;
    snprintf(m->point, sizeof m->point, "%s", tok);
    while ((tok = strtok_r(NULL, " \n", &save)) && strcmp(tok, "-") != 0)
        ;
    const char *type = tok ? strtok_r(NULL, " \n", &save) : NULL, *src = type ? strtok_r(NULL, " \n", &save) : NULL;
    const char *opts = src ? strtok_r(NULL, " \n", &save) : NULL;
    if (!opts)
        return 0;
    snprintf(m->type, sizeof m->type, "%s", type);
    snprintf(m->source, sizeof m->source, "%s", src);
    snprintf(m->options, sizeof m->options, ",%s,", opts);
    unescape(m->point);
    unescape(m->type);
    unescape(m->source);
    return 1;
}

/* Calls FN on each mount of this process's view until it returns 1; 1 if
 * one did, its entry in M. */
static int find_mount(int (*fn)(const struct mount_entry *m, const void *arg), const void *arg,
                      struct mount_entry *m)
{
    FILE *f = fopen("/proc/self/mountinfo", "re");
    char *line = NULL;
    size_t cap = 0;
    int found = 0;
    while (f && !found && getline(&line, &cap, f) > 0)
        found = parse_mount(line, m) && fn(m, arg);
    free(line);
    if (f)
        fclose(f);
    return found;
}

static int at_point(const struct mount_entry *m, const void *point)
{
    return strcmp(m->point, point) == 0;
}

/* POINT's mount (the first one there), into M; 0: nothing is mounted there. */
static int mount_at(const char *point, struct mount_entry *m)
{
    return find_mount(at_point, point, m);
}

/* Where IMAGE really is, as a loop device's backing_file names it: its
 * directory opened as a stage target and named by the kernel. NULL:
 * unknown. */
static char *canonical_image(const char *image)
{
    struct fs_place p;
    struct err ignored = {0};
    if (fs_place_open(image, &p, &ignored) < 0)
        return NULL;
    char *dir = fs_fd_path(p.dfd), *path = NULL;
    if (dir && asprintf(&path, "%s%s%s", dir, strcmp(dir, "/") ? "/" : "", p.base) < 0)
        path = NULL;
    free(dir);
    fs_place_close(&p);
    return path;
}

/* The loop device SOURCE (/dev/loopN) is backed by the file CANON, as
 * it is now or was before a rebuild renamed a new image over it. */
static int loop_backed_by(const char *source, const char *canon)
{
    char sys[128], *back;
    size_t len = 0;
    struct err ignored = {0};
    if (strncmp(source, "/dev/loop", 9) != 0 || strchr(source + 5, '/') || !canon)
        return 0;
    snprintf(sys, sizeof sys, "/sys/block/%s/loop/backing_file", source + 5);
    if (!(back = slurp("a loop device's backing file", sys, PATH_MAX + 16, &len, EXIT_RUNTIME, &ignored)))
        return 0;
    while (len > 0 && back[len - 1] == '\n')
        back[--len] = '\0';
    static const char deleted[] = " (deleted)";
    if (len >= sizeof deleted - 1 && strcmp(back + len - (sizeof deleted - 1), deleted) == 0)
        back[len - (sizeof deleted - 1)] = '\0';
    int same = strcmp(back, canon) == 0;
    free(back);
    return same;
}

/* M is a mount of IMAGE (CANON where it really is): squashfuse's, which
 * carries the image's name (image_mount gives it), mounted by this user
 * (another could name theirs alike), or the kernel's squashfs on a loop
 * device backed by it (root's alone). Anything else is not ours. */
static int is_this_image(const struct mount_entry *m, const char *image, const char *canon)
{
    char user[64];
    snprintf(user, sizeof user, ",user_id=%u,", (unsigned)geteuid());
    if (strcmp(m->type, "fuse.squashfuse") == 0)
        return strcmp(m->source, image) == 0 && strstr(m->options, user);
    return strcmp(m->type, "squashfs") == 0 && loop_backed_by(m->source, canon);
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

/* M, a mount of this image's: undone, lazily when busy (a child a killed
 * run left still holds it). Never called for another filesystem. */
static int undo(const struct mount_entry *m, struct err *e)
{
    struct mount_entry now;
    if (unmount_with(m->point, m->type, 0, e) == 0)
        return 0;
    if (!mount_at(m->point, &now)) {
        *e = (struct err){0};
        return 0;
    }
    struct err lazy = {0};
    if (unmount_with(m->point, m->type, 1, &lazy) < 0)
        return -1;
    *e = (struct err){0};
    return 0;
}

int image_unmount(const char *point, const char *image, struct err *e)
{
    struct mount_entry m;
    char *canon = canonical_image(image);
    int rc = mount_at(point, &m) && is_this_image(&m, image, canon) ? undo(&m, e) : 0;
    free(canon);
    return rc;
}

/* What a stale mount must be: this image's, at PARENT/BASE or a pretend
 * node's PARENT/BASE-node<k>. */
struct stale {
    const char *parent, *base, *image, *canon;
};

static int is_stale(const struct mount_entry *m, const void *arg)
{
    const struct stale *s = arg;
    size_t n = strlen(s->parent);
    const char *name = m->point + n + (n > 1);
    if (strncmp(m->point, s->parent, n) != 0 || (n > 1 && m->point[n] != '/') || strchr(name, '/'))
        return 0;
    if (!fs_is_node_name(name, s->base))
        return 0;
    if (s->image)
        return is_this_image(m, s->image, s->canon);
    /* A node's own copy beside its point, named as the kernel knows it. */
    char *copy = image_local_path(m->point);
    int mine = copy && is_this_image(m, copy, copy);
    free(copy);
    return mine;
}

int image_sweep(const char *image, const char *place, FILE *log, struct err *e)
{
    struct fs_place p;
    struct mount_entry m;
    if (fs_place_open(place, &p, e) < 0)
        return err_wrap(e, "the image's mount point: ");
    char *parent = fs_fd_path(p.dfd), *canon = image ? canonical_image(image) : NULL;
    struct stale s = {.parent = parent, .base = p.base, .image = image, .canon = canon};
    int rc = parent ? 0 : err_sys(e, EXIT_RUNTIME, "cannot tell where %s is", p.parent);
    /* Each undone is gone from mountinfo: look again from the start. */
    for (int i = 0; rc == 0 && i < 4096 && find_mount(is_stale, &s, &m); i++) {
        if (log)
            fprintf(log, "harness: %s is still mounted (a killed run's): unmounting it first\n", m.point);
        rc = undo(&m, e);
    }
    free(parent);
    free(canon);
    fs_place_close(&p);
    return rc;
}

/* squashfuse names the mount after the image (FUSE's -o escapes `\` and
 * `,`), so that a later run can tell it from any other FUSE mount. */
static char *fuse_options(const char *image)
{
    size_t n = strlen(image);
    char *o = malloc(2 * n + 32), *w = o + sprintf(o, "subtype=squashfuse,fsname=");
    for (const char *r = image; *r; r++) {
        if (*r == '\\' || *r == ',')
            *w++ = '\\';
        *w++ = *r;
    }
    *w = '\0';
    return o;
}

static int run_mounter(const char *image, const char *dir, const char *point, enum image_mounter how, struct err *e)
{
    char what[2 * PATH_MAX];
    snprintf(what, sizeof what, "mounting the image %s at %s", image, dir);
    char *opts = fuse_options(image);
    char *fuse[] = {"squashfuse", "-o", opts, (char *)image, (char *)point, NULL};
    char *loop[] = {"mount", "-t", "squashfs", "-o", "ro,loop,nodev,nosuid", (char *)image, (char *)point, NULL};
    int rc = tool_run(how == IMAGE_MOUNT_LOOP ? loop : fuse, 60, what, how == IMAGE_MOUNT_SQUASHFUSE, e);
    free(opts);
    return rc;
}

int image_mount(const char *image, const char *dir, enum image_mounter how, char **point, double *seconds,
                struct err *e)
{
    struct mount_entry m;
    double t0 = now_seconds();
    /* Mounted on, it is where every rank imports from: ours alone. */
    int fd = stage_trusted_dir(dir, e);
    if (fd < 0)
        return err_wrap(e, "the image's mount point: ");
    char *canon = fs_fd_path(fd);
    close(fd);
    if (!canon)
        return err_sys(e, EXIT_RUNTIME, "the image's mount point: cannot tell where %s is", dir);
    /* image_sweep undid this image's mounts a killed run left: anything
     * still there is another filesystem, or a live run's of another config. */
    if (mount_at(canon, &m)) {
        err_set(e, EXIT_SETUP, "the image's mount point %s already has a %s filesystem mounted (%s): a mount this "
                "run did not make is left alone", canon, m.type, m.source);
        free(canon);
        return -1;
    }
    if (how == IMAGE_MOUNT_LOOP && geteuid() != 0) {
        free(canon);
        return err_set(e, EXIT_SETUP, "mount_with = \"loop\" needs root (the kernel's loop mount); use \"squashfuse\"");
    }
    if (run_mounter(image, dir, canon, how, e) < 0) {
        free(canon);
        return -1;
    }
    *point = canon;
    *seconds = now_seconds() - t0;
    return 0;
}

/* PID's command line is squashfuse's, mounting at POINT (its last word). */
static int serves(const char *pid, const char *point)
{
    char path[64], *cmd;
    size_t len = 0;
    struct err ignored = {0};
    snprintf(path, sizeof path, "/proc/%s/cmdline", pid);
    if (!(cmd = slurp("a command line", path, 2 * PATH_MAX + 8192, &len, EXIT_RUNTIME, &ignored)))
        return 0;
    const char *last = cmd, *base = strrchr(cmd, '/') ? strrchr(cmd, '/') + 1 : cmd;
    for (size_t i = 0; i + 1 < len; i++)
        if (cmd[i] == '\0')
            last = cmd + i + 1;
    int yes = strcmp(base, "squashfuse") == 0 && strcmp(last, point) == 0;
    free(cmd);
    return yes;
}

/* "KEY: N" of /proc/PID/io (or a field of a sysfs stat line), -1 if unknown. */
static long long field_of(const char *path, const char *key, int word)
{
    char *text;
    size_t len = 0;
    struct err ignored = {0};
    long long v = -1;
    if (!(text = slurp("a counter", path, 4096, &len, EXIT_RUNTIME, &ignored)))
        return -1;
    const char *at = key ? strstr(text, key) : text;
    for (int i = 0; at && !key && i < word; i++) {
        at += strspn(at, " ");
        at += strcspn(at, " ");
    }
    if (at)
        v = strtoll(at + (key ? strlen(key) : 0), NULL, 10);
    free(text);
    return v;
}

static long long squashfuse_read(const char *point)
{
    DIR *d = opendir("/proc");
    struct dirent *de;
    long long v = -1;
    while (d && v < 0 && (de = readdir(d))) {
        char io[64];
        if (strspn(de->d_name, "0123456789") != strlen(de->d_name) || !serves(de->d_name, point))
            continue;
        snprintf(io, sizeof io, "/proc/%s/io", de->d_name);
        v = field_of(io, "rchar:", 0);
    }
    if (d)
        closedir(d);
    return v;
}

long long image_mount_bytes_read(const char *point)
{
    struct mount_entry m;
    char sys[128];
    if (!mount_at(point, &m))
        return -1;
    if (strcmp(m.type, "fuse.squashfuse") == 0)
        return squashfuse_read(point);
    if (strncmp(m.source, "/dev/loop", 9) != 0 || strchr(m.source + 5, '/'))
        return -1;
    /* /sys/block/loopN/stat: the third field is the sectors read, of 512 bytes. */
    snprintf(sys, sizeof sys, "/sys/block/%s/stat", m.source + 5);
    long long sectors = field_of(sys, NULL, 2);
    return sectors < 0 ? -1 : sectors * 512;
}
