/* test_image_stamp.c: the image's stamp (trusted only while it names the venv
 * and the image as it is) and a node's copy (whole, of the image it says). */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../check.h"
#include "fs/fs_image.h"

static void put(int dfd, const char *name, const char *text)
{
    int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
}

static const struct image_recipe zstd = {.bytecode = 1, .compression = IMAGE_ZSTD};

static int current(int dfd, const char *venv)
{
    struct image_ident id;
    long long read = 0;
    int yes = image_stamp_current(dfd, "venv.sqfs", venv, &zstd, &id, &read);
    CHECK(!yes || (read > 0 && id.size == 10));
    return yes;
}

static void stamp_cases(int dfd)
{
    struct err e = {0};
    put(dfd, "venv.sqfs", "0123456789");
    CHECK(!current(dfd, "/v"));   /* no stamp: the run walks */
    CHECK(image_stamp_write(dfd, "venv.sqfs", "IMG", "/v", &zstd, "manifest", 8, NULL, &e) == 0);
    CHECK(current(dfd, "/v"));
    CHECK(!current(dfd, "/other"));   /* another venv's image */
    /* Another recipe than the stamp's: the run walks and rebuilds. */
    struct image_ident id;
    long long read = 0;
    const struct image_recipe lz4 = {.bytecode = 1, .compression = IMAGE_LZ4}, plain = {.compression = IMAGE_ZSTD};
    CHECK(!image_stamp_current(dfd, "venv.sqfs", "/v", &lz4, &id, &read));
    CHECK(!image_stamp_current(dfd, "venv.sqfs", "/v", &plain, &id, &read));
    /* The image replaced behind the stamp (a new inode), then back. */
    put(dfd, "new", "0123456789");
    CHECK(renameat(dfd, "new", dfd, "venv.sqfs") == 0);
    CHECK(!current(dfd, "/v"));
    CHECK(image_stamp_write(dfd, "venv.sqfs", "IMG", "/v", &zstd, "manifest", 8, NULL, &e) == 0 && current(dfd, "/v"));
    /* A stamp others may write, or a link at its name, is not trusted. */
    CHECK(fchmodat(dfd, "venv.sqfs.stamp", 0666, 0) == 0 && !current(dfd, "/v"));
    CHECK(fchmodat(dfd, "venv.sqfs.stamp", 0644, 0) == 0 && current(dfd, "/v"));
    CHECK(renameat(dfd, "venv.sqfs.stamp", dfd, "real.stamp") == 0);
    CHECK(symlinkat("real.stamp", dfd, "venv.sqfs.stamp") == 0 && !current(dfd, "/v"));
    CHECK(unlinkat(dfd, "venv.sqfs.stamp", 0) == 0 && renameat(dfd, "real.stamp", dfd, "venv.sqfs.stamp") == 0);
    /* The image's size or content changed in place: its mtime moves. */
    struct timespec later[2] = {{0, UTIME_OMIT}, {12345, 0}};
    CHECK(utimensat(dfd, "venv.sqfs", later, 0) == 0 && !current(dfd, "/v"));
    CHECK(e.status == 0);
}

/* The entries of DIR but . and .. */
static int entries(const char *dir)
{
    int n = 0;
    DIR *d = opendir(dir);
    for (struct dirent *de; d && (de = readdir(d));)
        n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
    if (d)
        closedir(d);
    return n;
}

static void copy_cases(const char *dir)
{
    struct err e = {0};
    struct image_local l;
    struct image_ident src = {.size = 6, .ino = 7, .dev = 8, .mtime_ns = 9, .ctime_ns = 10}, other = src;
    char point[4200];
    snprintf(point, sizeof point, "%s/mnt-node0", dir);
    CHECK(image_local_open(&l, point, &e) == 0);
    CHECK(!image_local_holds(&l, &src));   /* cold */
    CHECK(image_local_begin(&l, &e) == 0 && pwrite(l.fd, "abc", 3, 3) == 3);
    CHECK(pwrite(l.fd, "xyz", 3, 0) == 3 && image_local_commit(&l, &src, &e) == 0);
    CHECK(image_local_holds(&l, &src));
    other.mtime_ns++;
    CHECK(!image_local_holds(&l, &other));   /* of another image */
    /* A copy half-written is never put in place: a short one is refused. */
    CHECK(image_local_begin(&l, &e) == 0 && pwrite(l.fd, "ab", 2, 0) == 2);
    CHECK(image_local_commit(&l, &other, &e) < 0 && e.status);
    image_local_close(&l);
    char copies[4300];
    snprintf(copies, sizeof copies, "%s-image", point);
    CHECK(entries(copies) == 2);   /* venv.sqfs and venv.sqfs.from: the temporary file went */
    e = (struct err){0};
    CHECK(image_local_open(&l, point, &e) == 0 && image_local_holds(&l, &src));
    char *path = image_local_path(point);
    CHECK(path && strstr(path, "mnt-node0-image/venv.sqfs"));
    free(path);
    image_local_close(&l);
}

int main(void)
{
    char dir[] = "/tmp/test_image_stamp.XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    stamp_cases(dfd);
    copy_cases(dir);
    close(dfd);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
    return check_summary();
}
