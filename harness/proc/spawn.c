/* spawn.c: the measured operation itself: posix_spawn, then a blocking
 * waitpid that a per-thread timer interrupts at the timeout (fork is
 * unsafe under many MPI transports; a pidfd and poll cost 2%). */
#include "proc/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
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

#include "base/clock.h"
#include "proc/reap.h"
#include "base/utf8.h"

/* The timeout's signal: a real-time one Open MPI does not use, aimed at
 * this thread alone (SIGEV_THREAD_ID) so that none of the MPI library's
 * threads takes it, with a handler that does nothing: its only job is to
 * make waitpid return EINTR. */
#define TIMEOUT_SIGNAL (SIGRTMIN + 3)
/* After the timeout the timer fires again at this interval, so that a
 * signal arriving just before waitpid blocks is not the last one. */
#define TIMEOUT_REPEAT_NS 50000000L
/* glibc before 2.37 names the Linux field only through its union. */
#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id _sigev_un._tid
#endif

static void on_timeout_signal(int sig)
{
    (void)sig;
}

static int create_timer(struct spawn_job *job, struct err *e)
{
    struct sigaction sa = {.sa_handler = on_timeout_signal};
    sigemptyset(&sa.sa_mask);
    /* No SA_RESTART: waitpid must come back with EINTR. */
    if (sigaction(TIMEOUT_SIGNAL, &sa, NULL) < 0)
        return err_sys(e, EXIT_RUNTIME, "sigaction for the child timeout");
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, TIMEOUT_SIGNAL);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    struct sigevent sev = {.sigev_notify = SIGEV_THREAD_ID, .sigev_signo = TIMEOUT_SIGNAL};
    sev.sigev_notify_thread_id = (pid_t)syscall(SYS_gettid);
    if (timer_create(CLOCK_MONOTONIC, &sev, &job->timer) < 0)
        return err_sys(e, EXIT_RUNTIME, "timer_create for the child timeout");
    job->has_timer = 1;
    return 0;
}

static void arm_timer(struct spawn_job *job, double timeout)
{
    struct itimerspec it = {.it_interval = {0, TIMEOUT_REPEAT_NS}};
    if (timeout <= 0)
        it.it_interval.tv_nsec = 0;   /* disarms */
    else {
        it.it_value.tv_sec = (time_t)timeout;
        it.it_value.tv_nsec = (long)((timeout - (double)(time_t)timeout) * 1e9);
        if (it.it_value.tv_sec == 0 && it.it_value.tv_nsec == 0)
            it.it_value.tv_nsec = 1;
    }
    timer_settime(job->timer, 0, &it, NULL);
}

static void close_fds(struct spawn_job *job)
{
    int *fds[] = {&job->out_fd, &job->null_fd};
    for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++) {
        if (*fds[i] >= 0)
            close(*fds[i]);
        *fds[i] = -1;
    }
}

int spawn_prepare(struct spawn_job *job, char *const *argv, char *const *envp, int capture_stdout,
                  struct err *e)
{
    return spawn_prepare_keep(job, argv, envp, capture_stdout, SPAWN_ERR_KEEP, e);
}

int spawn_prepare_keep(struct spawn_job *job, char *const *argv, char *const *envp, int capture_stdout,
                       size_t keep, struct err *e)
{
    memset(job, 0, sizeof *job);
    job->err.rfd = job->err.wfd = job->err.stop_fd = -1;
    /* Orphans of the child come to this process, to be killed after it. */
    if (reap_become_subreaper() < 0)
        return err_sys(e, EXIT_RUNTIME, "prctl(PR_SET_CHILD_SUBREAPER)");
    job->argv = argv;
    job->envp = envp;
    job->out_fd = -1;
    job->null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (job->null_fd < 0)
        return err_sys(e, EXIT_RUNTIME, "open /dev/null");
    /* In memory: a capture file on the filesystem being measured would add
     * metadata traffic of our own to every rank. Stderr goes through a
     * pipe into a bounded ring (4 ranks writing 400 MB once grew shared
     * memory by 1.5 GB); stdout, captured only by the set-up probe, whose
     * report is small, stays a memfd. */
    if (capture_stdout && (job->out_fd = memfd_create("child-stdout", MFD_CLOEXEC)) < 0) {
        err_sys(e, EXIT_RUNTIME, "memfd_create");
        close_fds(job);
        return -1;
    }
    if (errtail_open(&job->err, keep, e) < 0) {
        close_fds(job);
        return -1;
    }
    if (create_timer(job, e) < 0) {
        errtail_close(&job->err);
        close_fds(job);
        return -1;
    }
    reap_snapshot(&job->keep);
    posix_spawn_file_actions_init(&job->actions);
    posix_spawn_file_actions_adddup2(&job->actions, job->null_fd, 0);
    posix_spawn_file_actions_adddup2(&job->actions, capture_stdout ? job->out_fd : job->null_fd, 1);
    posix_spawn_file_actions_adddup2(&job->actions, job->err.wfd, 2);

    /* Its own process group, so that a timeout kills whatever it started
     * too. execve resets caught signals by itself; only those the MPI
     * library ignores would stay ignored in the child, and a signal it
     * blocks would stay blocked: only what needs it is reset, since every
     * reset is a system call inside the timed region. */
    sigset_t ignored, none, mask;
    int nignored = 0;
    sigemptyset(&ignored);
    sigemptyset(&none);
    for (int sig = 1; sig < NSIG; sig++) {
        struct sigaction sa;
        if (sig != SIGKILL && sig != SIGSTOP && sigaction(sig, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN) {
            sigaddset(&ignored, sig);
            nignored++;
        }
    }
    pthread_sigmask(SIG_SETMASK, NULL, &mask);
    short flags = POSIX_SPAWN_SETPGROUP;
    if (nignored)
        flags |= POSIX_SPAWN_SETSIGDEF;
    if (!sigisemptyset(&mask))
        flags |= POSIX_SPAWN_SETSIGMASK;
    posix_spawnattr_init(&job->attr);
    posix_spawnattr_setflags(&job->attr, flags);
    posix_spawnattr_setpgroup(&job->attr, 0);
    posix_spawnattr_setsigdefault(&job->attr, &ignored);
    posix_spawnattr_setsigmask(&job->attr, &none);
    return 0;
}

/* A blocking waitpid, as cheap as the bare call: a pidfd and poll cost
 * 2% of a /bin/true. The timer interrupts it at the timeout. */
static int wait_with_timeout(struct spawn_job *job, pid_t pid, double t0, double timeout, int *wstatus,
                             int *timed_out)
{
    *timed_out = 0;
    if (timeout > 0)
        arm_timer(job, timeout);
    pid_t r;
    for (;;) {
        r = waitpid(pid, wstatus, 0);
        if (r >= 0 || errno != EINTR)
            break;
        if (!*timed_out && timeout > 0 && now_seconds() - t0 >= timeout) {
            *timed_out = 1;
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
        }
    }
    if (timeout > 0)
        arm_timer(job, 0);
    return r == pid ? 0 : -1;
}

int spawn_run(struct spawn_job *job, double timeout, struct child_result *res, struct err *e)
{
    int rc = spawn_run_timed(job, timeout, res, e);
    res->leftover = reap_descendants(&job->keep);
    return rc;
}

int spawn_run_timed(struct spawn_job *job, double timeout, struct child_result *res, struct err *e)
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
    if (wait_with_timeout(job, pid, t0, timeout, &wstatus, &timed_out) < 0)
        return err_sys(e, EXIT_RUNTIME, "waitpid %d", (int)pid);
    res->seconds = now_seconds() - t0;
    if (WIFEXITED(wstatus))
        res->exit_code = WEXITSTATUS(wstatus);
    else if (WIFSIGNALED(wstatus)) {
        res->signal = WTERMSIG(wstatus);
        res->exit_code = 128 + res->signal;
    }
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
    /* Valid UTF-8 from here on: the text goes into JSON the database must
     * take, and a tail may begin inside a character. */
    char *text = utf8_valid(buf, got > 0 ? (size_t)got : 0, max);
    free(buf);
    return text;
}

static void empty_fd(int fd)
{
    if (fd >= 0 && ftruncate(fd, 0) == 0)
        lseek(fd, 0, SEEK_SET);
}

char *spawn_stderr(struct spawn_job *job, size_t max)
{
    size_t len;
    char *raw = errtail_take(&job->err, max, &len);
    if (!raw)
        return strdup("");
    /* A tail may start inside a character: made valid, it still fits MAX. */
    char *text = utf8_valid(raw, len, max);
    free(raw);
    return text;
}

char *spawn_stderr_line(struct spawn_job *job, size_t max)
{
    char *text = spawn_stderr(job, max);
    size_t n = text ? strlen(text) : 0;
    while (n && (text[n - 1] == '\n' || text[n - 1] == ' '))
        text[--n] = '\0';
    for (char *p = text; p && *p; p++)
        if (*p == '\n')
            *p = ' ';
    return text;
}

void spawn_reset(struct spawn_job *job)
{
    empty_fd(job->out_fd);
    errtail_reset(&job->err);
}

void spawn_release(struct spawn_job *job)
{
    posix_spawn_file_actions_destroy(&job->actions);
    posix_spawnattr_destroy(&job->attr);
    if (job->has_timer)
        timer_delete(job->timer);
    job->has_timer = 0;
    errtail_close(&job->err);
    reap_set_free(&job->keep);
    close_fds(job);
}
