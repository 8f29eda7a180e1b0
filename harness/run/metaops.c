/* metaops.c: strace -f of one import, parsed line by line. strace -c
 * gives no errno breakdown, and ENOENT probes are the cost we look for. */
#include "run/metaops.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proc/spawn.h"
#include "proc/tool.h"

const char *const metaops_traced[] = {
    "open", "openat", "openat2", "creat", "stat", "lstat", "fstat", "newfstatat", "statx", "statfs", "fstatfs",
    "access", "faccessat", "faccessat2", "readlink", "readlinkat", "getdents", "getdents64", "getcwd", NULL,
};

static void add_call(struct metaops *m, const char *name, size_t len)
{
    int i;
    for (i = 0; i < m->ncalls; i++)
        if (strlen(m->calls[i].name) == len && strncmp(m->calls[i].name, name, len) == 0)
            break;
    if (i == m->ncalls) {
        if (m->ncalls == METAOPS_MAX || len >= sizeof m->calls[i].name)
            return;
        memcpy(m->calls[i].name, name, len);
        m->calls[i].name[len] = '\0';
        m->ncalls++;
    }
    m->calls[i].count++;
    m->total++;
}

/* A line is "PID name(args) = ret", or with -f across threads
 * "PID name(args <unfinished ...>" then "PID <... name resumed>...) = ret":
 * a call is counted once, on the line that carries its result. */
static void parse_line(const char *line, struct metaops *m)
{
    const char *p = line;
    while (*p >= '0' && *p <= '9')
        p++;
    while (*p == ' ')
        p++;
    if (strstr(p, "<unfinished ...>") || *p == '+' || *p == '-')
        return;
    if (strncmp(p, "<... ", 5) == 0)
        p += 5;
    size_t len = strcspn(p, "( ");
    if (len == 0 || (p[len] != '(' && strncmp(p + len, " resumed>", 9) != 0))
        return;
    const char *eq = strrchr(p, '=');
    if (!eq)
        return;
    add_call(m, p, len);
    if (strncmp(eq, "= -1 ", 5) == 0) {
        m->failed++;
        if (strncmp(eq + 5, "ENOENT", 6) == 0)
            m->enoent++;
    }
}

void metaops_parse(FILE *trace, struct metaops *m)
{
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, trace) > 0)
        parse_line(line, m);
    free(line);
}

static void unavailable(struct metaops *m, const char *why)
{
    m->available = 0;
    snprintf(m->reason, sizeof m->reason, "%s", why);
}

int metaops_count(char *const *argv, char *const *envp, double timeout, struct metaops *m)
{
    memset(m, 0, sizeof *m);
    char *strace = find_on_path("strace");
    if (!strace) {
        unavailable(m, "strace is not installed");
        return 0;
    }
    char tracefile[] = "/tmp/mpi4py-import-strace-XXXXXX";
    int fd = mkstemp(tracefile);
    if (fd < 0) {
        free(strace);
        unavailable(m, "cannot create a temporary file for strace");
        return 0;
    }
    char filter[512] = "trace=";
    for (int i = 0; metaops_traced[i]; i++)
        snprintf(filter + strlen(filter), sizeof filter - strlen(filter), "%s%s", i ? "," : "", metaops_traced[i]);

    char *sargv[64] = {strace, "-f", "-qq", "-o", tracefile, "-e", filter};
    int k = 7;
    for (int i = 0; argv[i] && k < 63; i++)
        sargv[k++] = argv[i];
    sargv[k] = NULL;

    struct spawn_job job;
    struct child_result res = {0};
    struct err e = {0};
    if (spawn_prepare(&job, sargv, envp, 0, &e) == 0) {
        spawn_run(&job, timeout, &res, &e);
        FILE *f = fdopen(fd, "r");
        fd = -1;
        metaops_parse(f, m);
        fclose(f);
        /* strace exits with the traced child's status: a failing import
         * still leaves a valid trace; an empty one means strace failed. */
        m->available = m->total > 0 && !e.status && res.status != CHILD_TIMEOUT;
        if (e.status)
            unavailable(m, e.msg);
        else if (res.status == CHILD_TIMEOUT)
            unavailable(m, "the strace run timed out");
        else if (!m->available) {
            char *tail = spawn_stderr(&job, 200);
            snprintf(m->reason, sizeof m->reason, "strace failed (exit %d): %s", res.exit_code, tail);
            m->reason[strcspn(m->reason, "\n")] = '\0';
            free(tail);
        }
        spawn_release(&job);
    } else {
        unavailable(m, e.msg);
    }
    if (fd >= 0)
        close(fd);
    unlink(tracefile);
    free(strace);
    return res.leftover;
}
