/* test_named_output.c: named_output_write replaces regular files, writes
 * devices and FIFOs in place, and refuses links and other kinds. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../check.h"
#include "base/named_output.h"

static const char *tmp;

static char *at(const char *name)
{
    static char path[4][4096];
    static int i;
    i = (i + 1) % 4;
    snprintf(path[i], sizeof path[i], "%s/%s", tmp, name);
    return path[i];
}

static void slurp_into(const char *path, char *buf, size_t n)
{
    int fd = open(path, O_RDONLY);
    ssize_t got = fd >= 0 ? read(fd, buf, n - 1) : -1;
    buf[got > 0 ? got : 0] = '\0';
    if (fd >= 0)
        close(fd);
}

static void test_regular_file_replaced(void)
{
    struct err e = {0};
    char buf[64];
    CHECK(named_output_write(at("new.json"), "one\n", 4, 0644, &e) == 0);
    CHECK(named_output_write(at("new.json"), "two\n", 4, 0644, &e) == 0);
    slurp_into(at("new.json"), buf, sizeof buf);
    CHECK(strcmp(buf, "two\n") == 0 && e.status == 0);
}

static void test_symlink_refused_target_untouched(void)
{
    struct err e = {0};
    char buf[64];
    named_output_write(at("target"), "mine\n", 5, 0644, &e);
    CHECK(symlink(at("target"), at("link.json")) == 0);
    CHECK(named_output_write(at("link.json"), "x\n", 2, 0644, &e) < 0);
    CHECK_CONTAINS(e.msg, "link.json is a symbolic link: not followed and not replaced");
    struct stat st;
    CHECK(lstat(at("link.json"), &st) == 0 && S_ISLNK(st.st_mode));
    slurp_into(at("target"), buf, sizeof buf);
    CHECK(strcmp(buf, "mine\n") == 0);
}

static void test_directory_refused(void)
{
    struct err e = {0};
    CHECK(mkdir(at("adir"), 0755) == 0);
    CHECK(named_output_write(at("adir"), "x\n", 2, 0644, &e) < 0);
    CHECK_CONTAINS(e.msg, "adir is a directory: refused");
}

static void test_fifo_written_in_place(void)
{
    struct err e = {0};
    CHECK(mkfifo(at("fifo"), 0600) == 0);
    /* No reader: refused at once, not a hang. */
    CHECK(named_output_write(at("fifo"), "x\n", 2, 0644, &e) < 0);
    CHECK_CONTAINS(e.msg, "a FIFO with no reader");
    int rd = open(at("fifo"), O_RDONLY | O_NONBLOCK);
    struct err e2 = {0};
    CHECK(rd >= 0 && named_output_write(at("fifo"), "piped\n", 6, 0644, &e2) == 0);
    char buf[16] = {0};
    CHECK(read(rd, buf, sizeof buf - 1) == 6 && strcmp(buf, "piped\n") == 0);
    close(rd);
    struct stat st;
    CHECK(lstat(at("fifo"), &st) == 0 && S_ISFIFO(st.st_mode));
}

static void test_char_device_written_in_place(void)
{
    /* A private null device (root only): the real /dev/null is not ours to test on. */
    if (mknod(at("null"), S_IFCHR | 0666, makedev(1, 3)) < 0) {
        printf("skipped: mknod needs root\n");
        return;
    }
    struct err e = {0};
    CHECK(named_output_write(at("null"), "x\n", 2, 0644, &e) == 0);
    struct stat st;
    CHECK(lstat(at("null"), &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3));
}

int main(int argc, char **argv)
{
    tmp = argc > 1 ? argv[1] : "/tmp";
    test_regular_file_replaced();
    test_symlink_refused_target_untouched();
    test_directory_refused();
    test_fifo_written_in_place();
    test_char_device_written_in_place();
    return check_summary();
}
