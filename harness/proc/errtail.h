/* errtail.h: the last bytes a child wrote to stderr, in bounded memory:
 * the child writes to a pipe, a thread keeps the tail in a ring buffer. */
#ifndef ERRTAIL_H
#define ERRTAIL_H

#include <pthread.h>
#include <stddef.h>

#include "base/err.h"

struct errtail {
    int rfd, wfd;            /* the pipe: the child gets WFD as its fd 2 */
    int stop_fd;             /* an eventfd that ends the thread */
    char *ring;
    size_t cap;              /* bytes kept: the tail's bound */
    unsigned long long total; /* bytes received since the last reset */
    pthread_mutex_t lock;    /* the ring, between the thread and the caller */
    pthread_t thread;
    int has_lock, has_thread;
};

/* Creates the pipe and starts the thread; keeps the last CAP bytes. */
int errtail_open(struct errtail *t, size_t cap, struct err *e);
/* Empties the ring (and what the pipe holds) for the next child. */
void errtail_reset(struct errtail *t);
/* The last MAX bytes written so far, once the writers are gone: a new
 * NUL-terminated buffer (NULL when out of memory); *LEN gets their count
 * (the child may have written NUL bytes of its own). */
char *errtail_take(struct errtail *t, size_t max, size_t *len);
void errtail_close(struct errtail *t);

#endif
