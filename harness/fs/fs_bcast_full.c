/* fs_bcast_full.c: the files some node lacks, read once by rank 0 and sent
 * to every leader in chunks of up to BCAST_CHUNK bytes (MPI_Bcast): files
 * packed back to back in manifest order, a large one over several. With
 * a compression level the chunks go through fs_bcast_zstd.c instead. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fs/fs_bcast.h"

/* Each chunk starts with rank 0's word on the source: 0, or 1 when a read
 * failed and the broadcast stops there for everyone. */
#define HEADER sizeof(int64_t)

void bcast_next_file(const struct bcast_run *b, struct bcast_cursor *c)
{
    while (c->idx < b->man.n && b->decision[c->idx] != BCAST_FULL)
        c->idx++;
}

/* The next chunk's pieces from C onwards, each handed to FN (if any);
 * returns the chunk's length. Pure arithmetic on the manifest, so every
 * leader knows the length of what it is about to receive. */
size_t bcast_chunk(struct bcast_run *b, struct bcast_cursor *c, char *data, bcast_piece_fn *fn)
{
    size_t used = 0;
    for (bcast_next_file(b, c); c->idx < b->man.n && used < BCAST_CHUNK; bcast_next_file(b, c)) {
        long long left = b->man.v[c->idx].size - c->off;
        size_t n = (unsigned long long)left < BCAST_CHUNK - used ? (size_t)left : BCAST_CHUNK - used;
        if (fn)
            fn(b, c->idx, c->off, data + used, n);
        used += n;
        c->off += (long long)n;
        if (c->off < b->man.v[c->idx].size)
            break;
        c->idx++;
        c->off = 0;
    }
    return used;
}

/* A leader keeps receiving after its own copy failed, so that the
 * others are not left waiting; it stops writing. */
int bcast_write_piece(struct bcast_run *b, size_t idx, long long off, char *data, size_t n)
{
    if (b->status[idx] == BCAST_HAVE || b->e->status)
        return 0;
    return bcast_local_put(b->local, idx, data, off, n) < 0 ? bcast_node_failed(b) : 0;
}

int bcast_read_piece(struct bcast_run *b, size_t idx, long long off, char *data, size_t n)
{
    if (b->read_failed)
        return -1;
    if (bcast_source_read(&b->src, idx, off, data, n, b->e) < 0) {
        b->read_failed = 1;
        return -1;
    }
    return bcast_write_piece(b, idx, off, data, n);
}

int bcast_full_files(struct bcast_run *b)
{
    if (b->level > 0)
        return bcast_full_zstd(b);
    struct bcast_cursor c = {0};
    char *buf = NULL;
    for (bcast_next_file(b, &c); c.idx < b->man.n; bcast_next_file(b, &c)) {
        struct bcast_cursor start = c;
        if (!buf)
            buf = malloc(HEADER + BCAST_CHUNK);
        size_t len = bcast_chunk(b, &c, buf + HEADER, b->rank == 0 ? bcast_read_piece : NULL);
        int64_t failed = b->read_failed;
        memcpy(buf, &failed, HEADER);
        MPI_Bcast(buf, (int)(HEADER + len), MPI_BYTE, 0, b->leaders);
        memcpy(&failed, buf, HEADER);
        if (failed)
            break;
        if (b->rank != 0)
            bcast_chunk(b, &start, buf + HEADER, bcast_write_piece);
        b->st.bytes_sent += (long long)len;
        b->st.bytes_uncompressed += (long long)len;
        b->st.bytes_compressed += (long long)len;
    }
    free(buf);
    return bcast_agree(b);
}
