/* tree_crawl.c: the source's directories read by several threads at once,
 * into a tree the manifest then walks in order, because on a shared
 * filesystem each listing and stat is a round trip to a server. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../staging/bcast_tree.h"
#include "../staging/stage_ctx.h"

/* Round trips in flight: sshfs, Lustre and NFS clients all serve this many
 * lookups at once without queueing them behind each other. */
#define CRAWL_THREADS 8

struct item {
    struct crawl_dir *d;
    int fd;                  /* the directory, open; closed once listed */
    int at_top;
};

struct crawl {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct item *q;
    size_t qn, qcap, busy;
};

static void push(struct crawl *c, struct item it)
{
    pthread_mutex_lock(&c->mu);
    if (c->qn == c->qcap)
        c->q = realloc(c->q, (c->qcap = c->qcap ? c->qcap * 2 : 64) * sizeof *c->q);
    c->q[c->qn++] = it;
    pthread_cond_signal(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

/* NAME's type, mode, size and mtime, as lstat would give them, in one
 * round trip: with the client's attribute cache off (sshfs cache=no, NFS
 * noac), lstat costs two, the lookup that revalidates the name and brings
 * the attributes, then a getattr asking for them again. DONT_SYNC takes
 * the lookup's; local filesystems ignore it, and NFS with its attribute
 * cache on may answer from that cache (seconds old at most). */
static int lstat_once(int fd, const char *name, struct stat *st)
{
    struct statx x;
    if (statx(fd, name, AT_SYMLINK_NOFOLLOW | AT_STATX_DONT_SYNC, STATX_TYPE | STATX_MODE | STATX_SIZE | STATX_MTIME,
              &x) < 0)
        return -1;
    *st = (struct stat){.st_mode = x.stx_mode, .st_size = (off_t)x.stx_size,
                        .st_mtim = {.tv_sec = x.stx_mtime.tv_sec, .tv_nsec = x.stx_mtime.tv_nsec}};
    return 0;
}

/* One entry of D: its lstat, a link's target, a directory queued. */
static void read_entry(struct crawl *c, struct crawl_dir *d, int fd, size_t i)
{
    char target[PATH_MAX];
    if (lstat_once(fd, d->names[i], &d->st[i]) < 0) {
        d->err[i] = errno;
        return;
    }
    if (S_ISLNK(d->st[i].st_mode)) {
        ssize_t n = readlinkat(fd, d->names[i], target, sizeof target - 1);
        if (n < 0) {
            d->link_err[i] = errno;
            return;
        }
        target[n] = '\0';
        d->link[i] = strdup(target);
    } else if (S_ISDIR(d->st[i].st_mode)) {
        int sub = openat(fd, d->names[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub < 0) {
            d->sub_err[i] = errno;
            return;
        }
        d->sub[i] = calloc(1, sizeof *d->sub[i]);
        push(c, (struct item){d->sub[i], sub, 0});
    }
}

static void read_dir(struct crawl *c, struct item it)
{
    struct crawl_dir *d = it.d;
    if (stage_list_dir(it.fd, &d->names, &d->n) < 0) {
        d->list_err = errno;
        close(it.fd);
        return;
    }
    d->st = calloc(d->n + 1, sizeof *d->st);
    d->err = calloc(d->n + 1, sizeof *d->err);
    d->link_err = calloc(d->n + 1, sizeof *d->link_err);
    d->sub_err = calloc(d->n + 1, sizeof *d->sub_err);
    d->link = calloc(d->n + 1, sizeof *d->link);
    d->sub = calloc(d->n + 1, sizeof *d->sub);
    for (size_t i = 0; i < d->n; i++) {
        if (stage_skip_name(d->names[i], it.at_top))
            d->err[i] = -1;
        else
            read_entry(c, d, it.fd, i);
    }
    close(it.fd);
}

static void *worker(void *arg)
{
    struct crawl *c = arg;
    pthread_mutex_lock(&c->mu);
    for (;;) {
        while (c->qn == 0 && c->busy > 0)
            pthread_cond_wait(&c->cv, &c->mu);
        if (c->qn == 0)
            break;                /* nothing queued, nobody listing: done */
        struct item it = c->q[--c->qn];
        c->busy++;
        pthread_mutex_unlock(&c->mu);
        read_dir(c, it);
        pthread_mutex_lock(&c->mu);
        if (--c->busy == 0 && c->qn == 0)
            pthread_cond_broadcast(&c->cv);
    }
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

struct crawl_dir *crawl_tree(int root)
{
    struct crawl c = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
    struct crawl_dir *top = calloc(1, sizeof *top);
    int fd = dup(root);
    if (fd < 0) {
        top->list_err = errno;
        return top;
    }
    push(&c, (struct item){top, fd, 1});
    pthread_t t[CRAWL_THREADS - 1];
    size_t started = 0;
    while (started < CRAWL_THREADS - 1 && pthread_create(&t[started], NULL, worker, &c) == 0)
        started++;
    worker(&c);
    for (size_t i = 0; i < started; i++)
        pthread_join(t[i], NULL);
    free(c.q);
    pthread_cond_destroy(&c.cv);
    pthread_mutex_destroy(&c.mu);
    return top;
}

void crawl_free(struct crawl_dir *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n; i++) {
        free(d->link[i]);
        crawl_free(d->sub[i]);
    }
    stage_free_names(d->names, d->n);
    free(d->st);
    free(d->err);
    free(d->link_err);
    free(d->sub_err);
    free(d->link);
    free(d->sub);
    free(d);
}
