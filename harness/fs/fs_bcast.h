/* fs_bcast.h: one broadcast's state shared by its steps (fs_bcast.c, the
 * whole files of fs_bcast_full.c, the deltas of fs_bcast_delta.c). */
#ifndef FS_BCAST_H
#define FS_BCAST_H

#include <limits.h>
#include <mpi.h>

#include "../staging/bcast_tree.h"
#include "base/err.h"
#include "fs/fs.h"

/* The kind's settings (fs_conf.opts). */
enum bcast_cleanup {
    BCAST_CLEANUP_NEVER,       /* kept for the next run's deltas (default) */
    BCAST_CLEANUP_AFTER_RUN,   /* every node's copy removed at the end */
    BCAST_CLEANUP_KEEP_LAST,   /* at most one copy per machine: this run's first node's */
};
struct bcast_opts {
    int cleanup;               /* enum bcast_cleanup */
    int compress_level;        /* zstd level of the whole files; 0: raw */
    char *packed;              /* the venv's squashfs image with its stamp; NULL: none */
};

/* The kind's own figures (staging_result.figures). */
struct bcast_figures {
    long long signature_bytes; /* from the leaders back to rank 0 */
    long long bytes_uncompressed, bytes_compressed; /* whole files before and after zstd */
    int compress_level;        /* 0: sent raw */
    const char *cleanup;       /* the policy applied; NULL: the run made no copies */
    int copies_removed;        /* by the cleanup at the end of the run */
    const char *first_copy;    /* "packed", "entries"; NULL: every node held a copy */
    const char *check;         /* the source's manifest: "stamp" (the packed image's), "walk" */
};
_Static_assert(sizeof(struct bcast_figures) <= FS_FIGURES_MAX, "bcast's figures fit the result");

static inline struct bcast_figures *bcast_figures(struct staging_result *st)
{
    return (struct bcast_figures *)(void *)st->figures.bytes;
}

extern const struct fs_kind fs_kind_bcast;

/* fs_bcast_cleanup.c: the `cleanup` setting applied to the node copies. */
extern const char *const bcast_cleanup_words[];
int fs_bcast_finish(const struct fs_run *f, const char *venv, struct staging_result *st, struct err *e);

/* What rank 0 tells every leader to expect for each entry. */
enum bcast_decision { BCAST_NONE = 0, BCAST_FULL = 1, BCAST_DELTA = 2 };

/* Rank 0's figures, turned into a staging_result at the end. */
struct bcast_stats {
    long long entries, up_to_date, full_files, delta_files;
    long long remade;          /* directories and symlinks some node made or put right */
    long long dirs;            /* of the source: each opened by rank 0's walk */
    long long bytes_sent;      /* manifest, decisions, whole files (once), deltas */
    long long signature_bytes; /* from the leaders to rank 0 */
    long long literal_bytes, matched_bytes; /* of the deltas */
    long long bytes_uncompressed, bytes_compressed; /* of the whole files, once */
    long long shared_read, shared_opened; /* of the shared filesystem, besides the files sent */
    long long packed_between;  /* the image times the nodes that received it */
    long long unpacked;        /* entries every node held, made by unpacking the image */
    int walked;                /* rank 0 walked the source */
    int leaders;
    int level;                 /* zstd level; 0: raw */
    int packed_nodes;          /* nodes whose copy came unpacked from the image */
    const char *first_copy;
    const char *check;
};

/* Only on leader ranks: everything below is collective over LEADERS. */
struct bcast_run {
    MPI_Comm leaders;          /* one rank per node; rank 0 of the job is leader 0 */
    int rank;                  /* in LEADERS: the node's number */
    struct tree_manifest man;
    unsigned char *status;     /* this node's BCAST_HAVE/MISSING/CHANGED per entry */
    unsigned char *decision;   /* enum bcast_decision per entry */
    struct bcast_local *local; /* this node's copy */
    struct bcast_source src;   /* rank 0: the source */
    int read_failed;           /* rank 0: the source failed mid-broadcast */
    int missing;               /* this node had no copy at all */
    int nodes_missing;         /* the nodes that had none */
    int packed;                /* the manifest came with a current packed image */
    int from_stamp;            /* every node held a copy; the manifest is the current packed image's */
    int level;                 /* zstd level of the whole files; 0: sent raw */
    struct bcast_stats st;     /* rank 0 */
    struct err *e;
};

/* Every leader ends up with the first error any leader met. */
int bcast_agree(struct bcast_run *b);
/* After a failure of this node's copy: the error names its host. -1. */
int bcast_node_failed(struct bcast_run *b);

/* fs_bcast_full.c: the files some node lacks, read once, broadcast in chunks. */
int bcast_full_files(struct bcast_run *b);
#define BCAST_CHUNK ((size_t)16 << 20)
/* Where the next chunk starts: an entry and the offset in it. */
struct bcast_cursor {
    size_t idx;
    long long off;
};
typedef int bcast_piece_fn(struct bcast_run *b, size_t idx, long long off, char *data, size_t n);
void bcast_next_file(const struct bcast_run *b, struct bcast_cursor *c);
/* The next chunk's pieces from C on, each handed to FN (if any); returns
 * its length, which every leader computes alike from the manifest. */
size_t bcast_chunk(struct bcast_run *b, struct bcast_cursor *c, char *data, bcast_piece_fn *fn);
/* Rank 0: a piece read from the source (and written to its own copy). */
int bcast_read_piece(struct bcast_run *b, size_t idx, long long off, char *data, size_t n);
/* A leader: a piece into its copy; after its copy failed, nothing. */
int bcast_write_piece(struct bcast_run *b, size_t idx, long long off, char *data, size_t n);
/* fs_bcast_zstd.c: the same chunks compressed with zstd, the compression of
 * the next overlapping the broadcast of the current one. */
int bcast_full_zstd(struct bcast_run *b);
/* fs_bcast_delta.c: the files nodes hold another version of: signatures in,
 * deltas out, patched in place. */
int bcast_delta_files(struct bcast_run *b);

/* fs_bcast_packed.c: the first copy from the packed image. Collective over
 * the leaders: when the image's stamp is current for SOURCE, B->man is the
 * image's manifest (no walk of the source), and each node without a copy
 * unpacks the image rank 0 read once (B->packed), or, every node holding
 * one, the deltas go on from that manifest (B->from_stamp); else nothing
 * is done and both stay 0. */
int bcast_packed(struct bcast_run *b, const char *source, const char *image, const char *dir);

/* fs_bcast_unpack.c: a node's copy made from the image. */
/* 1: nothing at all is at DIR, the node's copy's place. */
int bcast_copy_missing(const char *dir);
struct bcast_unpack {
    struct fs_place place;     /* the copy's directory (a stage target's ancestor's checks) */
    char *canon;               /* its path, as the kernel names it */
    int fd;                    /* the image being received; -1: none */
    char img[NAME_MAX + 1];    /* its temporary name; "": none */
    char dir[NAME_MAX + 1];    /* the temporary directory unpacked into; "": none */
    char shown[PATH_MAX];      /* the image's temporary path, for messages */
};
/* A new temporary file beside DIR for the image (a killed run's swept). */
int bcast_unpack(struct bcast_unpack *u, const char *dir, struct err *e);
/* The image unpacked (unsquashfs) into a new marked directory beside
 * the copy, mtimes as M has them, the image removed, the directory
 * renamed to the copy's name (never over anything). */
int bcast_unpack_finish(struct bcast_unpack *u, const struct tree_manifest *m, struct err *e);
/* What was not put in place removed. */
void bcast_unpack_close(struct bcast_unpack *u);

#endif
