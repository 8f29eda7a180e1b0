/* fs_image_bcast.c: deliver = "bcast": rank 0 reads the image once and MPI
 * carries it in pipelined chunks to one leader per node, into its own copy. */
#include "fs/fs_image.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/collective.h"

/* Small enough that a 26 MB image makes several chunks to overlap, large
 * enough that each costs MPI one message per leader. */
#define CHUNK ((size_t)4 << 20)
/* Reads and writes go in slices of this much, testing the broadcast in
 * flight between them so that MPI moves it meanwhile. */
#define SLICE ((size_t)1 << 20)
/* Each chunk starts with rank 0's word on the source: 1 when a read
 * failed and the broadcast stops there for everyone. */
#define HEADER sizeof(int64_t)

/* The transfer, on rank 0 and the leaders whose node lacks the image. */
struct xfer {
    MPI_Comm comm;           /* rank 0 of the job is its rank 0 */
    int node;                /* this leader's node number, for messages */
    long long size;
    int src;                 /* rank 0: the image on the shared filesystem; -1: could not open */
    int out;                 /* where this node writes it; -1: nowhere (rank 0's node holds it) */
    const char *out_shown;   /* OUT's path, for messages */
    const char *who;         /* the kind, for messages: "image", "bcast" */
    char *buf[2];
    MPI_Request req;
    int failed;              /* this node's copy failed: it only receives */
    long long bytes_read;
    const char *image;
    struct err *e;
};

static const char *host_name(char *buf, size_t n)
{
    buf[0] = '\0';
    gethostname(buf, n - 1);
    buf[n - 1] = '\0';
    return buf;
}

static int node_failed(struct xfer *x)
{
    char host[256];
    host_name(host, sizeof host);
    x->failed = 1;
    return err_wrap(x->e, "%s: node %d (host %s): ", x->who, x->node, host);
}

static void progress(struct xfer *x)
{
    int done;
    if (x->req != MPI_REQUEST_NULL)
        MPI_Test(&x->req, &done, MPI_STATUS_IGNORE);
}

static size_t chunk_len(const struct xfer *x, long long k)
{
    long long left = x->size - k * (long long)CHUNK;
    return left < (long long)CHUNK ? (size_t)left : CHUNK;
}

static int write_at(struct xfer *x, const char *data, size_t n, long long off)
{
    while (n > 0) {
        ssize_t w = pwrite(x->out, data, n, (off_t)off);
        if (w <= 0)
            return err_sys(x->e, EXIT_RUNTIME, "cannot write %s", x->out_shown);
        data += w;
        n -= (size_t)w;
        off += w;
    }
    return 0;
}

static void write_slice(struct xfer *x, const char *data, size_t n, long long off)
{
    if (x->out >= 0 && !x->failed && write_at(x, data, n, off) < 0)
        node_failed(x);
}

/* Rank 0: chunk K read into BUF (and written to its own node's copy);
 * a failed read marks the chunk, which then stops every leader. */
static void produce(struct xfer *x, long long k, char *buf)
{
    int64_t failed = x->src < 0;
    size_t len = chunk_len(x, k);
    long long off = k * (long long)CHUNK;
    for (size_t at = 0; !failed && at < len; at += SLICE) {
        size_t n = len - at < SLICE ? len - at : SLICE;
        ssize_t got = pread(x->src, buf + HEADER + at, n, (off_t)(off + (long long)at));
        if (got != (ssize_t)n) {
            err_sys(x->e, EXIT_RUNTIME, "cannot read the image %s", x->image);
            failed = 1;
            break;
        }
        x->bytes_read += got;
        write_slice(x, buf + HEADER + at, n, off + (long long)at);
        progress(x);
    }
    memcpy(buf, &failed, HEADER);
}

/* A leader: chunk K from BUF into its copy, slice by slice. */
static void consume(struct xfer *x, long long k, const char *buf)
{
    size_t len = chunk_len(x, k);
    for (size_t at = 0; at < len && !x->failed; at += SLICE) {
        size_t n = len - at < SLICE ? len - at : SLICE;
        write_slice(x, buf + HEADER + at, n, k * (long long)CHUNK + (long long)at);
        progress(x);
    }
}

static int stopped(const char *buf)
{
    int64_t failed;
    memcpy(&failed, buf, HEADER);
    return failed != 0;
}

/* Rank 0 reads chunk k+1 while chunk k is in flight; a leader writes
 * chunk k-1 while chunk k arrives. Returns 1 when every chunk came. */
static int pipeline(struct xfer *x)
{
    long long n = (x->size + (long long)CHUNK - 1) / (long long)CHUNK;
    int root = x->node == 0;   /* the leaders' split keeps the job's rank 0 first */
    if (root)
        produce(x, 0, x->buf[0]);
    for (long long k = 0; k < n; k++) {
        char *now = x->buf[k & 1], *other = x->buf[(k + 1) & 1];
        MPI_Ibcast(now, (int)(HEADER + chunk_len(x, k)), MPI_BYTE, 0, x->comm, &x->req);
        if (root && k + 1 < n)
            produce(x, k + 1, other);
        else if (!root && k > 0)
            consume(x, k - 1, other);
        /* Not MPI_Wait: leaders spinning here would take the cores from
         * rank 0's read of the image and from the file server. Short naps:
         * a leader forwards the broadcast's fragments only when it tests
         * (8 nodes: 0.27 s against 0.30 s with naps up to 200 us). */
        coll_quiet_wait(&x->req, 50);
        if (stopped(now))
            return 0;
    }
    if (!root)
        consume(x, n - 1, x->buf[(n - 1) & 1]);
    return 1;
}

/* Every rank of X->comm must take part in every chunk: one that cannot
 * hold two says so before the first. */
static int take_buffers(struct xfer *x)
{
    x->buf[0] = malloc(HEADER + CHUNK);
    x->buf[1] = malloc(HEADER + CHUNK);
    if (!x->buf[0] || !x->buf[1]) {
        err_set(x->e, EXIT_RUNTIME, "out of memory for the image's broadcast (2 x %zu bytes)", HEADER + CHUNK);
        node_failed(x);
    }
    return coll_agree(x->comm, x->e);
}

/* Rank 0: the image opened (never through a link), still the one whose
 * identity every leader compared with; -1 with E otherwise. */
static int open_image(const char *image, const struct image_ident *want, struct err *e)
{
    struct stat s;
    struct image_ident id;
    int fd = open(image, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return err_sys(e, EXIT_RUNTIME, "cannot open the image %s", image);
    if (fstat(fd, &s) < 0 || (image_ident_of(&s, &id), !image_ident_same(&id, want))) {
        close(fd);
        return err_set(e, EXIT_RUNTIME, "the image %s changed while the run was sending it", image);
    }
    return fd;
}

int image_send(MPI_Comm comm, const struct image_sink *to, const char *image, const struct image_ident *src,
               struct image_io *io, struct err *e)
{
    struct xfer x = {.comm = comm, .node = to->node, .size = src->size, .src = -1, .out = to->fd,
                     .out_shown = to->shown, .who = to->who, .req = MPI_REQUEST_NULL, .image = image, .e = e};
    int whole = 0;
    if (take_buffers(&x) == 0) {
        /* A failed open still sends the first chunk: marked, it stops everyone. */
        if (x.node == 0 && (x.src = open_image(image, src, e)) >= 0)
            io->files_opened++;
        whole = pipeline(&x);
    }
    free(x.buf[0]);
    free(x.buf[1]);
    if (x.src >= 0)
        close(x.src);
    io->bytes_read += x.bytes_read;
    return whole && !x.failed && !e->status ? 0 : -1;
}

/* Over COMM: this node's copy L (NULL: it holds the image) begun, the
 * chunks written into it, the copy put in place. */
static void send_to_copy(MPI_Comm comm, int node, struct image_local *l, const char *image,
                         const struct image_ident *src, struct image_io *io, struct err *e)
{
    char shown[4200] = "";
    struct image_sink to = {.fd = -1, .node = node, .who = "image", .shown = shown};
    if (l && image_local_begin(l, e) < 0)
        err_wrap(e, "image: node %d (host %s): ", node, host_name(shown, sizeof shown));
    else if (l)
        snprintf(shown, sizeof shown, "%s/%s", l->dir, l->tmp), to.fd = l->fd;
    if (image_send(comm, &to, image, src, io, e) == 0 && l && image_local_commit(l, src, e) < 0)
        err_wrap(e, "image: node %d (host %s): ", node, host_name(shown, sizeof shown));
}

/* Rank 0's word to the leaders: the image's identity, or that it failed. */
static int share_ident(MPI_Comm leaders, int node, const char *image, struct image_ident *id, struct err *e)
{
    struct stat s;
    int64_t msg[6] = {0};
    if (node == 0 && lstat(image, &s) < 0)
        err_sys(e, EXIT_RUNTIME, "cannot stat the image %s", image);
    else if (node == 0 && !S_ISREG(s.st_mode))
        err_set(e, EXIT_RUNTIME, "the image %s is not a regular file", image);
    else if (node == 0) {
        image_ident_of(&s, id);
        int64_t v[6] = {1, id->size, (int64_t)id->ino, (int64_t)id->dev, id->mtime_ns, id->ctime_ns};
        memcpy(msg, v, sizeof msg);
    }
    MPI_Bcast(msg, 6, MPI_INT64_T, 0, leaders);
    *id = (struct image_ident){msg[1], (unsigned long long)msg[2], (unsigned long long)msg[3], msg[4], msg[5]};
    return msg[0] ? 0 : -1;
}

/* Every leader: its copy checked; the ones lacking the image, and rank 0,
 * take part in the transfer. */
static void lead(MPI_Comm leaders, const struct fs_run *f, const char *point, char **copy, struct image_figures *fig,
                 long long *between, struct image_io *io, struct err *e)
{
    struct image_local l;
    struct image_ident src;
    struct xfer x = {.comm = MPI_COMM_NULL, .src = -1, .out = -1, .who = "image", .image = f->fs->path, .e = e};
    int nleaders, need = 0, needing = 0;
    MPI_Comm_rank(leaders, &x.node);
    MPI_Comm_size(leaders, &nleaders);
    if (share_ident(leaders, x.node, f->fs->path, &src, e) < 0)
        return;
    if (image_local_open(&l, point, e) < 0)
        node_failed(&x);
    else
        need = !image_local_holds(&l, &src);
    if (coll_agree(leaders, e) == 0) {
        MPI_Allreduce(&need, &needing, 1, MPI_INT, MPI_SUM, leaders);
        MPI_Comm_split(leaders, need || x.node == 0 ? 0 : MPI_UNDEFINED, x.node, &x.comm);
    }
    if (needing > 0 && x.comm != MPI_COMM_NULL)
        send_to_copy(x.comm, x.node, need ? &l : NULL, f->fs->path, &src, io, e);
    if (x.comm != MPI_COMM_NULL)
        MPI_Comm_free(&x.comm);
    if (x.node == 0) {
        fig->nodes_warm = nleaders - needing;
        *between = src.size * (long long)(needing - need);
    }
    *copy = l.path ? strdup(l.path) : NULL;
    image_local_close(&l);
}

int image_bcast(const struct fs_run *f, const char *point, char **copy, struct image_figures *fig,
                long long *between, struct image_io *io, struct err *e)
{
    int rank;
    MPI_Comm leaders;
    MPI_Comm_rank(f->comm, &rank);
    *copy = NULL;
    MPI_Comm_split(f->comm, fs_node_leader(f) ? 0 : MPI_UNDEFINED, rank, &leaders);
    double t0 = now_seconds();
    if (leaders != MPI_COMM_NULL) {
        lead(leaders, f, point, copy, fig, between, io, e);
        coll_agree(leaders, e);
        MPI_Comm_free(&leaders);
    }
    fig->bcast_s = now_seconds() - t0;
    return e->status ? -1 : 0;
}
