/* spawn.c: the measured operation itself: posix_spawn, a pidfd wait with
 * a timeout, waitpid. fork is unsafe under many MPI transports. */
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

char *find_on_path(const char *name)
{
    if (strchr(name, '/'))
        return access(name, X_OK) == 0 ? strdup(name) : NULL;
    const char *path = getenv("PATH");
    if (!path)
        return NULL;
    char *copy = strdup(path), *save = NULL, *found = NULL;
    for (char *dir = strtok_r(copy, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
        char cand[4096];
        snprintf(cand, sizeof cand, "%s/%s", *dir ? dir : ".", name);
        if (access(cand, X_OK) == 0)
            found = strdup(cand);
    }
    free(copy);
    return found;
}

static void close_fds(struct spawn_job *job)
{
    int *fds[] = {&job->out_fd, &job->err_fd, &job->null_fd};
    for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++) {
        if (*fds[i] >= 0)
            close(*fds[i]);
        *fds[i] = -1;
    }
}

int spawn_prepare(struct spawn_job *job, char *const *argv, char *const *envp, int capture_stdout,
                  struct err *e)
{
    memset(job, 0, sizeof *job);
    job->argv = argv;
    job->envp = envp;
    job->out_fd = job->err_fd = -1;
    job->null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (job->null_fd < 0)
        return err_sys(e, EXIT_RUNTIME, "open /dev/null");
    /* In memory: a capture file on the filesystem being measured would add
     * metadata traffic of our own to every rank. */
    job->err_fd = memfd_create("child-stderr", MFD_CLOEXEC);
    if (capture_stdout)
        job->out_fd = memfd_create("child-stdout", MFD_CLOEXEC);
    if (job->err_fd < 0 || (capture_stdout && job->out_fd < 0)) {
        err_sys(e, EXIT_RUNTIME, "memfd_create");
        close_fds(job);
        return -1;
    }
    posix_spawn_file_actions_init(&job->actions);
    posix_spawn_file_actions_adddup2(&job->actions, job->null_fd, 0);
    posix_spawn_file_actions_adddup2(&job->actions, capture_stdout ? job->out_fd : job->null_fd, 1);
    posix_spawn_file_actions_adddup2(&job->actions, job->err_fd, 2);

    /* Its own process group, so that a timeout kills whatever it started
     * too. execve resets caught signals by itself; only those the MPI
     * library ignores would stay ignored in the child, so only those are
     * reset: one sigaction each, not 64, inside the timed region. */
    sigset_t ignored, none;
    sigemptyset(&ignored);
    sigemptyset(&none);
    for (int sig = 1; sig < NSIG; sig++) {
        struct sigaction sa;
        if (sig != SIGKILL && sig != SIGSTOP && sigaction(sig, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN)
            sigaddset(&ignored, sig);
    }
    posix_spawnattr_init(&job->attr);
    posix_spawnattr_setflags(&job->attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    posix_spawnattr_setpgroup(&job->attr, 0);
    posix_spawnattr_setsigdefault(&job->attr, &ignored);
    posix_spawnattr_setsigmask(&job->attr, &none);
    return 0;
}

static int wait_with_timeout(pid_t pid, double timeout, int *wstatus, int *timed_out)
{
    *timed_out = 0;
    if (timeout > 0) {
        int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
        if (pidfd >= 0) {
            struct pollfd p = {.fd = pidfd, .events = POLLIN};
            int ms = timeout * 1000 > 2147483647.0 ? -1 : (int)(timeout * 1000);
            int n;
            do
                n = poll(&p, 1, ms);
            while (n < 0 && errno == EINTR);
            close(pidfd);
            if (n == 0) {
                *timed_out = 1;
                kill(-pid, SIGKILL);
                kill(pid, SIGKILL);
            }
        }
    }
    pid_t r;
    do
        r = waitpid(pid, wstatus, 0);
    while (r < 0 && errno == EINTR);
    return r == pid ? 0 : -1;
}

int spawn_run(struct spawn_job *job, double timeout, struct child_result *res, struct err *e)
{
    pid_t pid;
    memset(res, 0, sizeof *res);
    double t0 = now_seconds();
    int rc = posix_spawn(&pid, job->argv[0], &job->actions, &job->attr, job->argv, job->envp);
    if (rc != 0) {
        res->seconds = now_seconds() - t0;
        res->status = CHILD_NOSPAWN;
        res->exit_code = 127;
        errno = rc;
        err_sys(e, EXIT_RUNTIME, "posix_spawn %s", job->argv[0]);
        return 0;
    }
    int wstatus = 0, timed_out = 0;
    if (wait_with_timeout(pid, timeout, &wstatus, &timed_out) < 0)
        return err_sys(e, EXIT_RUNTIME, "waitpid %d", (int)pid);
    res->seconds = now_seconds() - t0;
    if (WIFEXITED(wstatus))
        res->exit_code = WEXITSTATUS(wstatus);
    else if (WIFSIGNALED(wstatus))
        res->exit_code = 128 + WTERMSIG(wstatus);
    if (timed_out)
        res->status = CHILD_TIMEOUT;
    else
        res->status = res->exit_code == 0 ? CHILD_OK : CHILD_FAILED;
    return 0;
}

char *spawn_captured(int fd, size_t max)
{
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0)
        return strdup("");
    size_t size = (size_t)st.st_size, len = size < max ? size : max;
    char *buf = malloc(len + 1);
    ssize_t got = pread(fd, buf, len, (off_t)(size - len));
    buf[got > 0 ? got : 0] = '\0';
    return buf;
}

static void empty_fd(int fd)
{
    if (fd >= 0 && ftruncate(fd, 0) == 0)
        lseek(fd, 0, SEEK_SET);
}

void spawn_reset(struct spawn_job *job)
{
    empty_fd(job->out_fd);
    empty_fd(job->err_fd);
}

void spawn_release(struct spawn_job *job)
{
    posix_spawn_file_actions_destroy(&job->actions);
    posix_spawnattr_destroy(&job->attr);
    close_fds(job);
}
