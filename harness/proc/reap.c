/* reap.c: nothing a child started outlives its phase. Each rank is a
 * child subreaper, so a child's orphans (setsid or not) become its own
 * children; after the child is reaped, whatever is left is killed. */
#include "proc/reap.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

/* Rounds of kill-and-reap: each takes one generation (a killed process's
 * children come to us next); a fork bomb is not followed for ever. */
#define REAP_ROUNDS 1000

int reap_become_subreaper(void)
{
    return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
}

int reap_set_subreaper(int on)
{
    return prctl(PR_SET_CHILD_SUBREAPER, on ? 1 : 0, 0, 0, 0);
}

static void add_pid(struct reap_set *p, long pid)
{
    if (pid <= 0)
        return;
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 16;
        pid_t *v = realloc(p->v, cap * sizeof *v);
        if (!v)
            return;
        p->v = v;
        p->cap = cap;
    }
    p->v[p->n++] = (pid_t)pid;
}

/* Adds the pids of a /proc/.../children file ("1 2 3 "); -1: no such file. */
static int read_children(const char *file, struct reap_set *p)
{
    FILE *f = fopen(file, "re");
    if (!f)
        return -1;
    long pid;
    while (fscanf(f, "%ld", &pid) == 1)
        add_pid(p, pid);
    fclose(f);
    return 0;
}

/* Without the children files (a kernel without CONFIG_PROC_CHILDREN):
 * every process whose parent is this one, from /proc/<pid>/stat. */
static void scan_proc(struct reap_set *p)
{
    DIR *d = opendir("/proc");
    if (!d)
        return;
    long self = (long)getpid();
    struct dirent *de;
    while ((de = readdir(d))) {
        char path[300], buf[512];
        if (de->d_name[0] < '1' || de->d_name[0] > '9')
            continue;
        snprintf(path, sizeof path, "/proc/%s/stat", de->d_name);
        FILE *f = fopen(path, "re");
        if (!f)
            continue;
        size_t len = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[len] = '\0';
        /* "pid (comm) state ppid ...": comm may hold anything but ends at the last ')'. */
        char *close = strrchr(buf, ')');
        long ppid;
        if (close && sscanf(close + 1, " %*c %ld", &ppid) == 1 && ppid == self)
            add_pid(p, atol(de->d_name));
    }
    closedir(d);
}

/* A reparented process is the child of one of this process's threads:
 * each thread's children file lists its own. */
static void list_children(struct reap_set *p)
{
    DIR *d = opendir("/proc/self/task");
    int missing = !d;
    struct dirent *de;
    while (d && (de = readdir(d))) {
        char path[300];
        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "/proc/self/task/%s/children", de->d_name);
        missing |= read_children(path, p) < 0;
    }
    if (d)
        closedir(d);
    if (missing) {
        p->n = 0;
        scan_proc(p);
    }
}

void reap_snapshot(struct reap_set *keep)
{
    keep->n = 0;
    list_children(keep);
}

void reap_set_free(struct reap_set *s)
{
    free(s->v);
    memset(s, 0, sizeof *s);
}

static int kept(const struct reap_set *keep, pid_t pid)
{
    for (size_t i = 0; keep && i < keep->n; i++)
        if (keep->v[i] == pid)
            return 1;
    return 0;
}

int reap_descendants(const struct reap_set *keep)
{
    int killed = 0;
    struct reap_set p = {0};
    for (int round = 0; round < REAP_ROUNDS; round++) {
        /* Peeks without reaping: a child that is not ours to reap (the MPI
         * runtime's own, in a singleton) keeps its exit status. */
        siginfo_t info;
        if (waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) < 0 && errno == ECHILD)
            break;                    /* no child at all: the common case, one call */
        p.n = 0;
        list_children(&p);
        int found = 0;
        for (size_t i = 0; i < p.n; i++) {
            if (kept(keep, p.v[i]))
                continue;
            found = 1;
            int status;
            if (waitpid(p.v[i], &status, WNOHANG) == p.v[i])
                continue;             /* an orphan that had already exited */
            kill(p.v[i], SIGKILL);
            /* Reaped before the next round, so none is counted twice and
             * its own orphans, reparented to us as it dies, come next. */
            while (waitpid(p.v[i], &status, 0) < 0 && errno == EINTR)
                ;
            killed++;
        }
        if (!found)
            break;
    }
    free(p.v);
    return killed;
}
