/* fs_bcast_packed.c: bcast's first copy from the packed image: rank 0 reads the
 * stamp, the manifest and the image once; the nodes without a copy unpack it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs/fs_bcast.h"
#include "fs/fs_image.h"
#include "base/collective.h"

/* Rank 0: 1 with the image's manifest when its stamp is current for
 * SOURCE (a stat and two small reads, no walk of SOURCE); 0 when stale
 * or missing; -1 when its directory is not ours alone. */
static int current_image(const char *image, const char *source, struct image_ident *id, char **blob, size_t *len,
                         struct image_io *io, struct err *e)
{
    const char *base;
    int dfd = image_dir_open(image, &base, e);
    if (dfd < 0)
        return err_wrap(e, "packed: ");
    int ok = image_stamp_manifest(dfd, base, source, BCAST_PACKED_RECIPE, id, blob, len, io);
    close(dfd);
    return ok;
}

/* Rank 0's word to the leaders: whether the image is current, its identity. */
static int share_verdict(struct bcast_run *b, int current, struct image_ident *id)
{
    int64_t msg[6] = {current, id->size, (int64_t)id->ino, (int64_t)id->dev, id->mtime_ns, id->ctime_ns};
    if (bcast_agree(b) < 0)
        return -1;
    MPI_Bcast(msg, 6, MPI_INT64_T, 0, b->leaders);
    *id = (struct image_ident){msg[1], (unsigned long long)msg[2], (unsigned long long)msg[3], msg[4], msg[5]};
    return msg[0] == 1;
}

/* The manifest the image was built from, to every leader: what the
 * survey, the fix-ups and the state follow, as the walk's would. */
static int share_manifest(struct bcast_run *b, char *blob, size_t len)
{
    long long n = coll_bcast_blob(b->leaders, 0, &blob, b->rank == 0 ? (long long)len : 0);
    if (n >= 0 && tree_manifest_unpack(blob, (size_t)n, &b->man, b->e) < 0)
        bcast_node_failed(b);
    free(blob);
    b->st.bytes_sent += n > 0 ? n : 0;
    return bcast_agree(b);
}

/* Over the leaders: rank 0 and the nodes without a copy take part in
 * the image's broadcast; each of those unpacks it into its copy. */
static int send_and_unpack(struct bcast_run *b, const char *image, const struct image_ident *id, const char *dir)
{
    struct bcast_unpack u = {.fd = -1};
    struct image_io io = {0};
    MPI_Comm comm = MPI_COMM_NULL;
    if (b->missing && bcast_unpack(&u, dir, b->e) < 0)
        bcast_node_failed(b);
    if (bcast_agree(b) == 0)
        MPI_Comm_split(b->leaders, b->missing || b->rank == 0 ? 0 : MPI_UNDEFINED, b->rank, &comm);
    if (comm != MPI_COMM_NULL) {
        struct image_sink to = {.fd = b->missing ? u.fd : -1, .node = b->rank, .who = "bcast", .shown = u.shown};
        if (image_send(comm, &to, image, id, &io, b->e) == 0 && b->missing &&
            bcast_unpack_finish(&u, &b->man, b->e) < 0)
            bcast_node_failed(b);
        MPI_Comm_free(&comm);
    }
    bcast_unpack_close(&u);
    b->st.shared_read += io.bytes_read;
    b->st.shared_opened += io.files_opened;
    /* Every node without a copy but rank 0's own received the image. */
    b->st.packed_between = id->size * (long long)(b->nodes_missing - (b->rank == 0 && b->missing));
    return bcast_agree(b);
}

int bcast_packed(struct bcast_run *b, const char *source, const char *image, const char *dir)
{
    struct image_ident id = {0};
    struct image_io io = {0};
    char *blob = NULL;
    size_t len = 0;
    int current = 0;
    if (b->rank == 0)
        current = current_image(image, source, &id, &blob, &len, &io, b->e);
    b->st.shared_read += io.bytes_read;
    b->st.shared_opened += io.files_opened;
    current = share_verdict(b, current, &id);
    if (current <= 0) {
        free(blob);
        return current;
    }
    if (share_manifest(b, blob, len) < 0)
        return -1;
    /* Every node holds a copy: the image's manifest spares rank 0 the
     * walk of the source, and the deltas go on from it. */
    if (b->nodes_missing == 0) {
        b->from_stamp = 1;
        return 0;
    }
    b->packed = 1;
    b->st.packed_nodes = b->nodes_missing;
    return send_and_unpack(b, image, &id, dir);
}
