/* test_metaops.c: strace -f output parsing: calls counted once across
 * unfinished/resumed pairs, failures and ENOENT told apart. */
#include <stdlib.h>
#include <string.h>

#include "../check.h"
#include "run/metaops.h"

/* The count of one call by name; zero when it was not made. */
static long metaops_get(const struct metaops *m, const char *name)
{
    for (int i = 0; i < m->ncalls; i++)
        if (strcmp(m->calls[i].name, name) == 0)
            return m->calls[i].count;
    return 0;
}

static const char trace[] =
    "101 openat(AT_FDCWD, \"/v/lib/python3.11/site-packages\", O_RDONLY|O_CLOEXEC) = 3\n"
    "101 newfstatat(AT_FDCWD, \"/v/numpy\", {st_mode=S_IFDIR|0755, st_size=4096, ...}, 0) = 0\n"
    "101 newfstatat(AT_FDCWD, \"/cwd/numpy\", 0x7ffd, 0) = -1 ENOENT (No such file or directory)\n"
    "101 openat(AT_FDCWD, \"/v/x.so\", O_RDONLY|O_CLOEXEC <unfinished ...>\n"
    "102 getdents64(3, 0x55 /* 12 entries */, 32768) = 400\n"
    "101 <... openat resumed>) = -1 ENOENT (No such file or directory)\n"
    "101 access(\"/etc/x\", R_OK) = -1 EACCES (Permission denied)\n"
    "101 readlink(\"/v/bin/python\", \"python3\", 4096) = 7\n"
    "102 +++ exited with 0 +++\n"
    "101 --- SIGCHLD {si_signo=SIGCHLD} ---\n"
    "getcwd(\"/cwd\", 4096) = 5\n";

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    struct metaops m;
    memset(&m, 0, sizeof m);
    FILE *f = fmemopen((void *)trace, sizeof trace - 1, "r");
    metaops_parse(f, &m);
    fclose(f);
    CHECK(metaops_get(&m, "openat") == 2);
    CHECK(metaops_get(&m, "newfstatat") == 2);
    CHECK(metaops_get(&m, "getdents64") == 1);
    CHECK(metaops_get(&m, "access") == 1);
    CHECK(metaops_get(&m, "readlink") == 1);
    CHECK(metaops_get(&m, "getcwd") == 1);
    CHECK(metaops_get(&m, "stat") == 0);
    CHECK(m.total == 8);
    CHECK(m.failed == 3);
    CHECK(m.enoent == 2);

    /* A real trace: strace is part of the test dependencies. */
    struct metaops live;
    char *argv_ls[] = {"/bin/ls", "/nonexistent-path-for-test", NULL};
    char *envp[] = {"PATH=/usr/bin:/bin", NULL};
    metaops_count(argv_ls, envp, 30, &live);
    CHECK(live.available);
    CHECK(live.enoent >= 1);
    CHECK(live.total > live.enoent);
    return check_summary();
}
