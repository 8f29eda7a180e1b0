/* stage_delta.c: a file that changed, rebuilt with librsync: the
 * signature of the target's old copy, the source's delta against it, the
 * patch into a temporary file renamed over the old copy. */
#include <errno.h>
#include <fcntl.h>
#include <librsync.h>
#include <stdio.h>
#include <unistd.h>

#include "stage_ctx.h"

struct delta_io {
    FILE *basis, *src, *sig, *delta, *out;
    rs_signature_t *sums;
};

static FILE *open_read(int dirfd, const char *name)
{
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    FILE *f = fd < 0 ? NULL : fdopen(fd, "rb");
    if (fd >= 0 && !f)
        close(fd);
    return f;
}

static void close_all(struct delta_io *io)
{
    FILE *files[] = {io->basis, io->src, io->sig, io->delta, io->out};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        if (files[i])
            fclose(files[i]);
    if (io->sums)
        rs_free_sumset(io->sums);
}

/* Signature and delta go through anonymous temporary files (tmpfile):
 * nothing is left behind whatever happens to this process. */
static rs_result make_delta(struct delta_io *io, long long basis_size, rs_stats_t *ds)
{
    rs_magic_number magic = 0;
    size_t block_len = 0, strong_len = 0;
    rs_result r = rs_sig_args(basis_size, &magic, &block_len, &strong_len);
    if (r == RS_DONE)
        r = rs_sig_file(io->basis, io->sig, block_len, strong_len, magic, NULL);
    if (r == RS_DONE && fflush(io->sig) == 0) {
        rewind(io->sig);
        r = rs_loadsig_file(io->sig, &io->sums, NULL);
    }
    if (r == RS_DONE)
        r = rs_build_hash_table(io->sums);
    if (r == RS_DONE)
        r = rs_delta_file(io->sums, io->src, io->delta, ds);
    if (r == RS_DONE && fflush(io->delta) == 0)
        rewind(io->delta);
    return r;
}

static int patch_into(struct stage_ctx *c, struct delta_io *io, struct stage_tmp *t, const char *name)
{
    char p[PATH_MAX];
    int fd = dup(t->fd);
    io->out = fd < 0 ? NULL : fdopen(fd, "wb");
    if (!io->out) {
        if (fd >= 0)
            close(fd);
        return err_sys(c->e, EXIT_RUNTIME, "cannot write %s", stage_dst_path(c, name, p));
    }
    rs_result r = rs_patch_file(io->basis, io->delta, io->out, NULL);
    int bad = fflush(io->out) != 0 || ferror(io->out);
    int saved = errno;
    fclose(io->out);
    io->out = NULL;
    errno = saved;
    if (bad)
        return err_sys(c->e, EXIT_RUNTIME, "cannot write %s", stage_dst_path(c, name, p));
    if (r != RS_DONE)
        return err_set(c->e, EXIT_RUNTIME, "cannot patch %s: librsync: %s", stage_dst_path(c, name, p), rs_strerror(r));
    return 0;
}

int stage_delta_file(struct stage_ctx *c, int sfd, int dfd, const char *name, const struct stat *s,
                     const struct stat *t)
{
    char p[PATH_MAX], q[PATH_MAX];
    struct delta_io io = {0};
    rs_stats_t ds = {0};
    struct stage_tmp tmp = {.fd = -1};
    int rc = -1;
    if (!(io.src = open_read(sfd, name)))
        err_sys(c->e, EXIT_RUNTIME, "cannot read %s", stage_src_path(c, name, p));
    else if (!(io.basis = open_read(dfd, name)))
        err_sys(c->e, EXIT_RUNTIME, "cannot read %s", stage_dst_path(c, name, p));
    else if (!(io.sig = tmpfile()) || !(io.delta = tmpfile()))
        err_sys(c->e, EXIT_RUNTIME, "delta of %s: cannot create a temporary file", stage_src_path(c, name, p));
    else {
        rs_result r = make_delta(&io, t->st_size, &ds);
        if (r != RS_DONE)
            err_set(c->e, EXIT_RUNTIME, "cannot compute the delta of %s against %s: librsync: %s%s",
                    stage_src_path(c, name, p), stage_dst_path(c, name, q), rs_strerror(r),
                    ferror(io.src) ? " (reading the source failed)" : "");
        else if (stage_tmp_create(c, dfd, name, s->st_mode, &tmp) == 0 && patch_into(c, &io, &tmp, name) == 0)
            rc = stage_tmp_commit(c, &tmp, name, &s->st_mtim, NULL);
    }
    if (rc < 0 && tmp.fd >= 0)
        stage_tmp_abort(&tmp);
    close_all(&io);
    if (rc < 0)
        return -1;
    c->st->delta_updated++;
    c->st->literal_bytes += ds.lit_bytes;
    c->st->matched_bytes += ds.copy_bytes;
    return 0;
}
