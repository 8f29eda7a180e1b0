/* errtail.c: a child's stderr kept as a bounded tail: a pipe that a
 * thread drains into a ring buffer, so a child writing gigabytes costs a
 * fixed amount of memory, and one writing nothing costs nothing. */
#include "proc/errtail.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

/* Appends LEN bytes to the ring: only the last CAP are kept. */
static void ring_add(struct errtail *t, const char *p, size_t len)
{
    if (len > t->cap) {
        p += len - t->cap;
        t->total += len - t->cap;
        len = t->cap;
    }
    size_t at = (size_t)(t->total % t->cap), first = t->cap - at < len ? t->cap - at : len;
    memcpy(t->ring + at, p, first);
    memcpy(t->ring, p + first, len - first);
    t->total += len;
}

/* Reads what the pipe holds now (its read end is non-blocking). Called
 * with the lock held, by the thread and by errtail_take. */
static void drain(struct errtail *t)
{
    char buf[65536];
    ssize_t n;
    while ((n = read(t->rfd, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
        if (n > 0)
            ring_add(t, buf, (size_t)n);
}

/* Sleeps in poll until the child writes or errtail_close says stop. */
static void *drainer(void *arg)
{
    struct errtail *t = arg;
    struct pollfd fds[2] = {{.fd = t->rfd, .events = POLLIN}, {.fd = t->stop_fd, .events = POLLIN}};
    for (;;) {
        if (poll(fds, 2, -1) < 0 && errno != EINTR)
            break;
        if (fds[1].revents)
            break;
        if (fds[0].revents) {
            pthread_mutex_lock(&t->lock);
            drain(t);
            pthread_mutex_unlock(&t->lock);
        }
    }
    return NULL;
}

int errtail_open(struct errtail *t, size_t cap, struct err *e)
{
    int p[2];
    memset(t, 0, sizeof *t);
    t->rfd = t->wfd = t->stop_fd = -1;
    t->cap = cap ? cap : 1;
    if (pipe2(p, O_CLOEXEC) < 0)
        return err_sys(e, EXIT_RUNTIME, "pipe for a child's stderr");
    t->rfd = p[0];
    t->wfd = p[1];
    fcntl(t->rfd, F_SETFL, O_NONBLOCK);
    t->stop_fd = eventfd(0, EFD_CLOEXEC);
    t->ring = malloc(t->cap);
    if (t->stop_fd < 0 || !t->ring) {
        err_sys(e, EXIT_RUNTIME, "eventfd or buffer for a child's stderr");
        errtail_close(t);
        return -1;
    }
    pthread_mutex_init(&t->lock, NULL);
    t->has_lock = 1;
    /* No signal for this thread: the timeout's goes to the spawning one. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&t->thread, NULL, drainer, t);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        errno = rc;
        err_sys(e, EXIT_RUNTIME, "thread for a child's stderr");
        errtail_close(t);
        return -1;
    }
    t->has_thread = 1;
    return 0;
}

void errtail_reset(struct errtail *t)
{
    pthread_mutex_lock(&t->lock);
    drain(t);
    t->total = 0;
    pthread_mutex_unlock(&t->lock);
}

char *errtail_take(struct errtail *t, size_t max, size_t *n)
{
    pthread_mutex_lock(&t->lock);
    drain(t);
    size_t have = t->total < t->cap ? (size_t)t->total : t->cap;
    size_t len = have < max ? have : max;
    char *out = malloc(len + 1);
    for (size_t i = 0; out && i < len; i++)
        out[i] = t->ring[(size_t)((t->total - len + i) % t->cap)];
    pthread_mutex_unlock(&t->lock);
    if (out)
        out[len] = '\0';
    *n = out ? len : 0;
    return out;
}

void errtail_close(struct errtail *t)
{
    if (t->has_thread) {
        uint64_t one = 1;
        if (write(t->stop_fd, &one, sizeof one) != sizeof one)
            pthread_cancel(t->thread);   /* poll is a cancellation point */
        pthread_join(t->thread, NULL);
    }
    if (t->has_lock)
        pthread_mutex_destroy(&t->lock);
    int *fds[] = {&t->rfd, &t->wfd, &t->stop_fd};
    for (size_t i = 0; i < 3; i++)
        if (*fds[i] >= 0)
            close(*fds[i]);
    free(t->ring);
    memset(t, 0, sizeof *t);
    t->rfd = t->wfd = t->stop_fd = -1;
}
