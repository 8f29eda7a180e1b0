/* fs_bcast_delta.c: the files nodes hold another version of: each leader's
 * signatures of its old copies gathered to rank 0 (MPI_Gatherv), rank 0's
 * deltas against the source scattered back (MPI_Scatterv), the patches. */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/fs_bcast.h"

/* Signatures and deltas travel as records: entry index, length, bytes. */
static void put_record(FILE *f, size_t idx, const char *data, size_t n)
{
    int64_t head[2] = {(int64_t)idx, (int64_t)n};
    fwrite(head, sizeof head, 1, f);
    fwrite(data, 1, n, f);
}

/* The record at *AT of BUF: 1 and its fields, 0 at the end, -1 if it is
 * damaged or names an entry that is not sent as a delta. */
static int next_record(const struct bcast_run *b, const char *buf, size_t len, size_t *at, size_t *idx,
                       const char **data, size_t *n)
{
    int64_t head[2];
    if (*at == len)
        return 0;
    if (len - *at < sizeof head)
        return -1;
    memcpy(head, buf + *at, sizeof head);
    *at += sizeof head;
    if (head[0] < 0 || (uint64_t)head[0] >= b->man.n || b->decision[head[0]] != BCAST_DELTA || head[1] < 0 ||
        (uint64_t)head[1] > len - *at)
        return -1;
    *idx = (size_t)head[0];
    *data = buf + *at;
    *n = (size_t)head[1];
    *at += *n;
    return 1;
}

static int damaged(struct bcast_run *b, const char *what, size_t at)
{
    return err_set(b->e, EXIT_RUNTIME, "bcast: %s damaged at byte %zu", what, at);
}

/* A buffer an MPI count can describe. */
static int count_of(struct bcast_run *b, size_t len, const char *what)
{
    if (len <= INT_MAX)
        return (int)len;
    err_set(b->e, EXIT_RUNTIME, "bcast: %s of %zu bytes is more than one MPI message can hold", what, len);
    return 0;
}

/* This node's signatures of the old copies that are to be patched. */
static char *node_signatures(struct bcast_run *b, size_t *len)
{
    char *out = NULL;
    FILE *f = open_memstream(&out, len);
    for (size_t i = 0; i < b->man.n; i++) {
        char *sig;
        size_t n;
        if (b->decision[i] != BCAST_DELTA || b->status[i] != BCAST_CHANGED)
            continue;
        if (bcast_local_sig(b->local, i, &sig, &n) < 0) {
            bcast_node_failed(b);
            break;
        }
        put_record(f, i, sig, n);
        free(sig);
    }
    fclose(f);
    return out;
}

/* Rank 0: COUNTS[i] bytes from leader i into ALL, at DISPLS[i]. */
static int gather_signatures(struct bcast_run *b, char **all, int **counts, int **displs)
{
    size_t len;
    char *mine = node_signatures(b, &len);
    int n = count_of(b, len, "a node's signatures"), size;
    MPI_Comm_size(b->leaders, &size);
    *counts = b->rank == 0 ? calloc((size_t)size, sizeof **counts) : NULL;
    *displs = b->rank == 0 ? calloc((size_t)size, sizeof **displs) : NULL;
    MPI_Gather(&n, 1, MPI_INT, *counts, 1, MPI_INT, 0, b->leaders);
    long long total = 0;
    for (int i = 0; b->rank == 0 && i < size; total += (*counts)[i++])
        (*displs)[i] = (int)(total < INT_MAX ? total : 0);
    count_of(b, (size_t)total, "the signatures of all nodes");
    int rc = bcast_agree(b);
    *all = b->rank == 0 && rc == 0 ? malloc(total ? (size_t)total : 1) : NULL;
    if (rc == 0)
        MPI_Gatherv(mine, n, MPI_BYTE, *all, *counts, *displs, MPI_BYTE, 0, b->leaders);
    free(mine);
    b->st.signature_bytes = total;
    return rc;
}

/* Leaders whose old copies are the same (the usual case: they all had
 * the last version) get the same delta, computed once. */
struct memo {
    const char *sig;
    size_t sig_len;
    char *delta;
    size_t len;
    rs_stats_t st;
};

static int delta_for(struct bcast_run *b, struct memo *m, size_t idx, const char *sig, size_t n)
{
    if (m->delta && m->sig_len == n && memcmp(m->sig, sig, n) == 0)
        return 0;
    free(m->delta);
    *m = (struct memo){.sig = sig, .sig_len = n};
    return bcast_source_delta(&b->src, idx, sig, n, &m->delta, &m->len, &m->st, b->e);
}

/* Rank 0: one reply per leader, back to back in one buffer. */
static char *make_deltas(struct bcast_run *b, const char *sigs, const int *counts, const int *displs,
                         size_t *len, long long *ends)
{
    int size;
    char *out = NULL;
    FILE *f = open_memstream(&out, len);
    struct memo *memo = calloc(b->man.n ? b->man.n : 1, sizeof *memo);
    MPI_Comm_size(b->leaders, &size);
    for (int l = 0; l < size; l++) {
        const char *buf = sigs + displs[l], *sig;
        size_t at = 0, idx, n;
        int more;
        while (!b->e->status && (more = next_record(b, buf, (size_t)counts[l], &at, &idx, &sig, &n)) != 0) {
            if (more < 0 || delta_for(b, &memo[idx], idx, sig, n) < 0) {
                if (more < 0)
                    damaged(b, "a node's signatures", at);
                break;
            }
            put_record(f, idx, memo[idx].delta, memo[idx].len);
            b->st.literal_bytes += (long long)memo[idx].st.lit_bytes;
            b->st.matched_bytes += (long long)memo[idx].st.copy_bytes;
        }
        fflush(f);
        ends[l] = ftell(f);
    }
    fclose(f);
    for (size_t i = 0; i < b->man.n; i++)
        free(memo[i].delta);
    free(memo);
    return out;
}

static int patch_all(struct bcast_run *b, const char *buf, size_t len)
{
    size_t at = 0, idx, n;
    const char *delta;
    int more;
    while ((more = next_record(b, buf, len, &at, &idx, &delta, &n)) > 0) {
        if (b->status[idx] != BCAST_CHANGED)
            return damaged(b, "the deltas for this node", at);
        if (bcast_local_patch(b->local, idx, delta, n) < 0)
            return bcast_node_failed(b);
    }
    return more < 0 ? damaged(b, "the deltas for this node", at) : 0;
}

static int scatter_deltas(struct bcast_run *b, const char *sigs, const int *counts, const int *displs)
{
    int size, mine = 0;
    size_t len = 0;
    MPI_Comm_size(b->leaders, &size);
    int *rcounts = b->rank == 0 ? calloc((size_t)size, sizeof *rcounts) : NULL;
    int *rdispls = b->rank == 0 ? calloc((size_t)size, sizeof *rdispls) : NULL;
    long long *ends = b->rank == 0 ? calloc((size_t)size, sizeof *ends) : NULL;
    char *replies = b->rank == 0 ? make_deltas(b, sigs, counts, displs, &len, ends) : NULL;
    /* Past what a count can say, nobody gets anything: the error ends it. */
    if (b->rank == 0 && len > INT_MAX)
        count_of(b, len, "the deltas for all nodes");
    else if (b->rank == 0)
        b->st.bytes_sent += (long long)len;
    for (int l = 0; b->rank == 0 && len <= INT_MAX && l < size; l++) {
        rdispls[l] = l ? (int)ends[l - 1] : 0;
        rcounts[l] = (int)(ends[l] - rdispls[l]);
    }
    MPI_Scatter(rcounts, 1, MPI_INT, &mine, 1, MPI_INT, 0, b->leaders);
    char *buf = malloc(mine ? (size_t)mine : 1);
    MPI_Scatterv(replies, rcounts, rdispls, MPI_BYTE, buf, mine, MPI_BYTE, 0, b->leaders);
    if (!b->e->status)
        patch_all(b, buf, (size_t)mine);
    free(buf);
    free(replies);
    free(ends);
    free(rdispls);
    free(rcounts);
    return bcast_agree(b);
}

int bcast_delta_files(struct bcast_run *b)
{
    int any = 0;
    for (size_t i = 0; i < b->man.n && !any; i++)
        any = b->decision[i] == BCAST_DELTA;
    if (!any)
        return 0;
    char *sigs = NULL;
    int *counts = NULL, *displs = NULL;
    int rc = gather_signatures(b, &sigs, &counts, &displs);
    if (rc == 0)
        rc = scatter_deltas(b, sigs, counts, displs);
    free(sigs);
    free(counts);
    free(displs);
    return rc;
}
