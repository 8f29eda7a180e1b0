/* fs_bcast_zstd.c: the whole files as one zstd stream, cut at the chunks of
 * fs_bcast_full.c: rank 0 compresses chunk k+1 while chunk k is broadcast
 * (MPI_Ibcast), each leader decompresses chunk k-1 while k arrives. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "fs/fs_bcast.h"

/* Compression and decompression work in slices of this much, testing the
 * broadcast in flight between them so that MPI moves it meanwhile. */
#define SLICE ((size_t)1 << 20)

/* Before each chunk: rank 0's word on the source (1: a read failed, the
 * broadcast stops for everyone) and the compressed length. */
struct zheader {
    int64_t failed;
    int64_t clen;
};

struct zpipe {
    struct bcast_run *b;
    ZSTD_CCtx *cctx;           /* rank 0 */
    ZSTD_DCtx *dctx;           /* the other leaders */
    char *raw;                 /* one chunk uncompressed */
    char *z[2];                /* compressed chunks, alternately in flight */
    size_t zcap;
    MPI_Request req;           /* the broadcast in flight, or MPI_REQUEST_NULL */
    int broken;                /* a leader's stream failed: it only receives */
};

static void progress(struct zpipe *p)
{
    int done;
    if (p->req != MPI_REQUEST_NULL)
        MPI_Test(&p->req, &done, MPI_STATUS_IGNORE);
}

/* Rank 0: chunk C read (its pieces written to rank 0's copy too) and
 * compressed into OUT; the stream is flushed at its end, so a leader can
 * decode it alone. Returns the compressed length (0 with nothing read). */
static size_t produce(struct zpipe *p, struct bcast_cursor *c, char *out, long long *raw_len)
{
    struct bcast_run *b = p->b;
    size_t len = bcast_chunk(b, c, p->raw, bcast_read_piece);
    *raw_len = (long long)len;
    if (b->read_failed)
        return 0;
    ZSTD_outBuffer o = {out, p->zcap, 0};
    for (size_t at = 0; at < len || at == 0; at += SLICE) {
        size_t n = len - at < SLICE ? len - at : SLICE;
        int last = at + n >= len;
        ZSTD_inBuffer in = {p->raw + at, n, 0};
        size_t rc;
        do
            rc = ZSTD_compressStream2(p->cctx, &o, &in, last ? ZSTD_e_flush : ZSTD_e_continue);
        while (!ZSTD_isError(rc) && o.pos < o.size && (in.pos < in.size || (last && rc != 0)));
        if (!ZSTD_isError(rc) && (in.pos < in.size || (last && rc != 0)))
            rc = (size_t)-ZSTD_error_dstSize_tooSmall;
        if (ZSTD_isError(rc)) {
            err_set(b->e, EXIT_RUNTIME, "bcast: zstd compression failed: %s", ZSTD_getErrorName(rc));
            b->read_failed = 1;
            return 0;
        }
        progress(p);
        if (last)
            break;
    }
    return o.pos;
}

/* A leader: the compressed chunk IN (CLEN bytes) back into the pieces
 * from START; a damaged stream fails this node, which keeps receiving. */
static void consume(struct zpipe *p, struct bcast_cursor start, const char *in, size_t clen)
{
    struct bcast_run *b = p->b;
    struct bcast_cursor c = start;
    size_t want = bcast_chunk(b, &c, NULL, NULL);
    if (p->broken)
        return;
    ZSTD_outBuffer o = {p->raw, want, 0};
    for (size_t at = 0; at < clen; at += SLICE) {
        ZSTD_inBuffer i = {in + at, clen - at < SLICE ? clen - at : SLICE, 0};
        size_t rc = 0;
        while (i.pos < i.size && !ZSTD_isError(rc) && o.pos <= o.size)
            rc = ZSTD_decompressStream(p->dctx, &o, &i);
        if (ZSTD_isError(rc) || i.pos < i.size) {
            p->broken = 1;
            err_set(b->e, EXIT_RUNTIME, "the compressed broadcast is damaged: %s",
                    ZSTD_isError(rc) ? ZSTD_getErrorName(rc) : "more data than the chunk holds");
            bcast_node_failed(b);
            return;
        }
        progress(p);
    }
    if (o.pos != want) {
        p->broken = 1;
        err_set(b->e, EXIT_RUNTIME, "the compressed broadcast is damaged: a chunk of %zu bytes decoded to %zu",
                want, o.pos);
        bcast_node_failed(b);
        return;
    }
    bcast_chunk(b, &start, p->raw, bcast_write_piece);
}

static int open_pipe(struct zpipe *p, struct bcast_run *b)
{
    /* One flushed chunk fits in the bound of a chunk, plus block headers. */
    *p = (struct zpipe){.b = b, .req = MPI_REQUEST_NULL, .zcap = ZSTD_compressBound(BCAST_CHUNK) + (64 << 10)};
    p->raw = malloc(BCAST_CHUNK);
    p->z[0] = malloc(p->zcap);
    p->z[1] = malloc(p->zcap);
    if (b->rank == 0) {
        p->cctx = ZSTD_createCCtx();
        if (p->cctx)
            ZSTD_CCtx_setParameter(p->cctx, ZSTD_c_compressionLevel, b->level);
    } else {
        p->dctx = ZSTD_createDCtx();
    }
    if (!p->raw || !p->z[0] || !p->z[1] || (b->rank == 0 ? !p->cctx : !p->dctx))
        return err_set(b->e, EXIT_RUNTIME, "bcast: out of memory for the compressed broadcast");
    return 0;
}

static void close_pipe(struct zpipe *p)
{
    ZSTD_freeCCtx(p->cctx);
    ZSTD_freeDCtx(p->dctx);
    free(p->raw);
    free(p->z[0]);
    free(p->z[1]);
}

/* Rank 0: produce the first chunk, then for each: its header, its
 * broadcast started, the next one produced meanwhile, the wait. A chunk
 * may be empty (empty files): the leaders count chunks as rank 0 does. */
static void send_all(struct zpipe *p)
{
    struct bcast_run *b = p->b;
    struct bcast_cursor c = {0};
    long long raw_len = 0;
    bcast_next_file(b, &c);
    int have = c.idx < b->man.n;
    size_t clen = have ? produce(p, &c, p->z[0], &raw_len) : 0;
    for (int k = 0; have; k++) {
        struct zheader h = {b->read_failed, (int64_t)clen};
        MPI_Bcast(&h, (int)sizeof h, MPI_BYTE, 0, b->leaders);
        if (h.failed)
            return;
        MPI_Ibcast(p->z[k & 1], (int)clen, MPI_BYTE, 0, b->leaders, &p->req);
        b->st.bytes_uncompressed += raw_len;
        b->st.bytes_compressed += (long long)clen;
        b->st.bytes_sent += (long long)(clen + sizeof h);
        bcast_next_file(b, &c);
        have = c.idx < b->man.n;
        if (have)
            clen = produce(p, &c, p->z[(k + 1) & 1], &raw_len);
        MPI_Wait(&p->req, MPI_STATUS_IGNORE);
    }
}

/* A leader: the same headers and broadcasts, decoding the previous chunk
 * while the next arrives. */
static void receive_all(struct zpipe *p)
{
    struct bcast_run *b = p->b;
    struct bcast_cursor c = {0}, pending_start = {0};
    size_t pending_len = 0;
    int pending = -1;          /* the buffer of the chunk not decoded yet */
    for (int k = 0;; k++) {
        bcast_next_file(b, &c);
        if (c.idx >= b->man.n)
            break;
        struct bcast_cursor start = c;
        bcast_chunk(b, &c, NULL, NULL);
        struct zheader h;
        MPI_Bcast(&h, (int)sizeof h, MPI_BYTE, 0, b->leaders);
        if (h.failed)
            return;
        MPI_Ibcast(p->z[k & 1], (int)h.clen, MPI_BYTE, 0, b->leaders, &p->req);
        if (pending >= 0)
            consume(p, pending_start, p->z[pending], pending_len);
        MPI_Wait(&p->req, MPI_STATUS_IGNORE);
        pending = k & 1;
        pending_start = start;
        pending_len = (size_t)h.clen;
    }
    if (pending >= 0)
        consume(p, pending_start, p->z[pending], pending_len);
}

int bcast_full_zstd(struct bcast_run *b)
{
    struct zpipe p;
    /* Every leader must take part in every broadcast: a leader that could
     * not set up says so at the agreement, before the first chunk. */
    open_pipe(&p, b);
    if (bcast_agree(b) == 0) {
        if (b->rank == 0)
            send_all(&p);
        else
            receive_all(&p);
    }
    close_pipe(&p);
    return bcast_agree(b);
}
