/* stage_delta.c: a file that changed, rebuilt with librsync: the
 * signature of the target's old copy, the source's delta against it, the
 * patch into a temporary file renamed over the old copy. */
#include <errno.h>
#include <fcntl.h>
#include <librsync.h>
#include <stdio.h>
#include <unistd.h>

#include "../staging/stage_ctx.h"

struct delta_io {
    FILE *basis, *src, *sig, *delta;
};

static FILE *open_read(int dirfd, const char *name)
{
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    FILE *f = fd < 0 ? NULL : fdopen(fd, "rb");
    if (fd >= 0 && !f)
        close(fd);
    return f;
}

/* librsync reports through errors it returns; its own log would print. */
static void no_trace(rs_loglevel level, char const *msg)
{
    (void)level;
    (void)msg;
}

static void close_all(struct delta_io *io)
{
    FILE *files[] = {io->basis, io->src, io->sig, io->delta};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        if (files[i])
            fclose(files[i]);
}

void stage_rs_quiet(void)
{
    rs_trace_to(no_trace);
}

rs_result stage_rs_sig(FILE *basis, long long basis_size, FILE *sig)
{
    rs_magic_number magic = 0;
    size_t block_len = 0, strong_len = 0;
    rs_result r = rs_sig_args(basis_size, &magic, &block_len, &strong_len);
    if (r == RS_DONE)
        r = rs_sig_file(basis, sig, block_len, strong_len, magic, NULL);
    if (r == RS_DONE && fflush(sig) != 0)
        r = RS_IO_ERROR;
    return r;
}

rs_result stage_rs_delta(FILE *sig, FILE *src, FILE *delta, rs_stats_t *ds)
{
    rs_signature_t *sums = NULL;
    rs_result r = rs_loadsig_file(sig, &sums, NULL);
    if (r == RS_DONE)
        r = rs_build_hash_table(sums);
    if (r == RS_DONE)
        r = rs_delta_file(sums, src, delta, ds);
    if (r == RS_DONE && fflush(delta) != 0)
        r = RS_IO_ERROR;
    if (sums)
        rs_free_sumset(sums);
    return r;
}

/* Signature and delta go through anonymous temporary files (tmpfile):
 * nothing is left behind whatever happens to this process. */
static rs_result make_delta(struct delta_io *io, long long basis_size, rs_stats_t *ds)
{
    rs_result r = stage_rs_sig(io->basis, basis_size, io->sig);
    if (r != RS_DONE)
        return r;
    rewind(io->sig);
    r = stage_rs_delta(io->sig, io->src, io->delta, ds);
    if (r == RS_DONE)
        rewind(io->delta);
    return r;
}

int stage_patch_into(struct stage_ctx *c, FILE *basis, FILE *delta, struct stage_tmp *t, const char *name)
{
    char p[PATH_MAX];
    int fd = dup(t->fd);
    FILE *out = fd < 0 ? NULL : fdopen(fd, "wb");
    if (!out) {
        if (fd >= 0)
            close(fd);
        return err_sys(c->e, EXIT_RUNTIME, "cannot write %s", stage_dst_path(c, name, p));
    }
    rs_result r = rs_patch_file(basis, delta, out, NULL);
    int bad = fflush(out) != 0 || ferror(out);
    int saved = errno;
    fclose(out);
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
        else if (stage_tmp_create(c, dfd, name, s->st_mode, &tmp) == 0 &&
                 stage_patch_into(c, io.basis, io.delta, &tmp, name) == 0)
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
