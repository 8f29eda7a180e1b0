/* bcast_source.c: rank 0's side of the broadcast on disk: the source's
 * files read once for every node, and their deltas against the leaders'
 * signatures (librsync, in memory). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "../staging/bcast_tree.h"
#include "../staging/stage_ctx.h"

int bcast_source_open(struct bcast_source *s, const struct tree_manifest *m, struct err *e)
{
    struct stat st;
    *s = (struct bcast_source){.m = m, .fd = -1};
    s->root = stage_open_source(m->source, &st, e);
    return s->root < 0 ? -1 : 0;
}

void bcast_source_close(struct bcast_source *s)
{
    if (s->fd >= 0)
        close(s->fd);
    if (s->root >= 0)
        close(s->root);
    s->fd = s->root = -1;
}

static int open_entry(struct bcast_source *s, size_t idx, struct err *e)
{
    if (s->fd >= 0 && s->fd_idx == idx)
        return s->fd;
    if (s->fd >= 0)
        close(s->fd);
    s->fd_idx = idx;
    s->fd = openat(s->root, s->m->v[idx].rel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (s->fd < 0)
        err_sys(e, EXIT_RUNTIME, "cannot read %s/%s", s->m->source, s->m->v[idx].rel);
    return s->fd;
}

int bcast_source_read(struct bcast_source *s, size_t idx, long long off, char *buf, size_t n, struct err *e)
{
    int fd = open_entry(s, idx, e);
    if (fd < 0)
        return -1;
    for (size_t done = 0; done < n;) {
        ssize_t got = pread(fd, buf + done, n - done, (off_t)(off + (long long)done));
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return err_sys(e, EXIT_RUNTIME, "cannot read %s/%s", s->m->source, s->m->v[idx].rel);
        if (got == 0)
            return err_set(e, EXIT_RUNTIME, "%s/%s shrank while it was being broadcast (it had %lld bytes)",
                           s->m->source, s->m->v[idx].rel, s->m->v[idx].size);
        done += (size_t)got;
    }
    return 0;
}

int bcast_source_delta(struct bcast_source *s, size_t idx, const char *sig, size_t sig_len, char **delta,
                       size_t *delta_len, rs_stats_t *st, struct err *e)
{
    const char *rel = s->m->v[idx].rel;
    *delta = NULL;
    *delta_len = 0;
    int fd = openat(s->root, rel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    FILE *src = fd < 0 ? NULL : fdopen(fd, "rb");
    if (!src) {
        if (fd >= 0)
            close(fd);
        return err_sys(e, EXIT_RUNTIME, "cannot read %s/%s", s->m->source, rel);
    }
    FILE *sigf = fmemopen((void *)sig, sig_len, "rb");
    FILE *out = open_memstream(delta, delta_len);
    rs_result r = sigf && out ? stage_rs_delta(sigf, src, out, st) : RS_MEM_ERROR;
    if (sigf)
        fclose(sigf);
    if (out)
        fclose(out);
    fclose(src);
    if (r == RS_DONE)
        return 0;
    free(*delta);
    *delta = NULL;
    return err_set(e, EXIT_RUNTIME, "cannot compute the delta of %s/%s against a node's copy: librsync: %s",
                   s->m->source, rel, rs_strerror(r));
}
