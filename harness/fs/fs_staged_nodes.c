/* fs_staged_nodes.c: staging on every node whose path is its own: rank 0's
 * mark in its copy, each other node leader's look for it, and their stages. */
#include "fs/fs_staged.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "base/collective.h"
#include "base/nodes.h"

#define MARK_LEN 64

/* A token no other run writes: 16 random bytes in hex, and the host. */
static void make_token(char token[MARK_LEN])
{
    unsigned char r[16] = {0};
    char host[32] = "";
    if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
        snprintf((char *)r, sizeof r, "%ld", (long)getpid());
    gethostname(host, sizeof host - 1);
    int n = 0;
    for (size_t i = 0; i < sizeof r; i++)
        n += snprintf(token + n, (size_t)(MARK_LEN - n), "%02x", r[i]);
    snprintf(token + n, (size_t)(MARK_LEN - n), " %s", host);
}

static int open_target(const char *target, struct err *e)
{
    int fd = open(target, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && e)
        err_sys(e, EXIT_RUNTIME, "cannot open the staged copy %s", target);
    return fd;
}

static int write_mark(const char *target, const char token[MARK_LEN], struct err *e)
{
    int dfd = open_target(target, e);
    if (dfd < 0)
        return -1;
    int fd = openat(dfd, STAGE_NODE_MARK_NAME, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
    int ok = fd >= 0 && write(fd, token, MARK_LEN) == MARK_LEN;
    if (!ok)
        err_sys(e, EXIT_RUNTIME, "cannot write %s/%s", target, STAGE_NODE_MARK_NAME);
    if (fd >= 0 && close(fd) < 0 && ok)
        ok = 0, err_sys(e, EXIT_RUNTIME, "cannot write %s/%s", target, STAGE_NODE_MARK_NAME);
    close(dfd);
    return ok ? 0 : -1;
}

/* True when this node sees rank 0's copy: the same path holds its mark.
 * Anything else (no directory, no mark, another run's) means a copy of
 * its own is needed; a needless stage on a shared path is only a walk. */
static int sees_mark(const char *target, const char token[MARK_LEN])
{
    char buf[MARK_LEN];
    int dfd = open_target(target, NULL);
    if (dfd < 0)
        return 0;
    int fd = openat(dfd, STAGE_NODE_MARK_NAME, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    close(dfd);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, MARK_LEN);
    close(fd);
    return n == MARK_LEN && memcmp(buf, token, MARK_LEN) == 0;
}

int stage_other_nodes(MPI_Comm comm, const struct stage_opts *so, int *copies, struct err *e)
{
    int rank, leader = nodes_local_rank(comm, 0) == 0, staged = 0;
    char token[MARK_LEN] = {0};
    *copies = 1;
    MPI_Comm_rank(comm, &rank);
    int leaders = 0;
    MPI_Allreduce(&leader, &leaders, 1, MPI_INT, MPI_SUM, comm);
    if (leaders < 2)
        return 0;
    if (rank == 0) {
        make_token(token);
        write_mark(so->target, token, e);
    }
    if (coll_agree(comm, e) < 0)
        return -1;
    MPI_Bcast(token, MARK_LEN, MPI_CHAR, 0, comm);
    if (leader && rank != 0 && !sees_mark(so->target, token)) {
        struct stage_stats st;
        staged = 1;
        if (stage_tree(so, &st, e) < 0) {
            char host[256] = "";
            gethostname(host, sizeof host - 1);
            err_wrap(e, "staging on node %s (rank %d): ", host, rank);
        }
    }
    /* The node's other ranks sleep meanwhile, as during a broadcast. */
    coll_quiet_barrier(comm);
    MPI_Allreduce(&staged, copies, 1, MPI_INT, MPI_SUM, comm);
    *copies += 1;
    return coll_agree(comm, e);
}
