/* fs_image.h: the kind `image`'s pieces: the squashfs build (fs_image_build.c)
 * and running its tools (mksquashfs, squashfuse, fusermount). */
#ifndef FS_IMAGE_H
#define FS_IMAGE_H

#include <stdio.h>
#include <sys/stat.h>

#include "base/err.h"
#include "fs/fs.h"

/* How an image is mounted on each node (`mount_with`). */
enum image_mounter {
    IMAGE_MOUNT_SQUASHFUSE,  /* FUSE: no root needed (default) */
    IMAGE_MOUNT_LOOP,        /* the kernel's squashfs on a loop device: root only */
};

/* How the image reaches the nodes (`deliver`). */
enum image_delivery {
    IMAGE_DELIVER_SHARED,    /* each node mounts it from the shared filesystem (default) */
    IMAGE_DELIVER_BCAST,     /* rank 0 reads it once, MPI carries it into each node's memory */
};

/* The image's compressor (`compression`): what each node pays at every
 * first read of a block against the bytes every node receives. */
enum image_compression {
    IMAGE_ZSTD,              /* level 3: the smaller image (default) */
    IMAGE_LZ4,               /* lz4 -Xhc: 15% larger, half the CPU to read a block cold */
};

/* The kind's settings (fs_conf.opts). */
struct image_opts {
    char *mount;             /* the node-local mount point */
    int mount_with;          /* enum image_mounter */
    int deliver;             /* enum image_delivery */
    int bytecode;            /* enum image_bytecode */
    int compression;         /* enum image_compression */
};

/* What an image is built with, the build checks an old image against. */
struct image_recipe {
    int bytecode;            /* the venv's __pycache__ packed */
    int compression;         /* enum image_compression */
};
/* bcast's packed source: unpacked on each node, whose copy compiles and
 * keeps its own bytecode. */
#define BCAST_PACKED_RECIPE (&(const struct image_recipe){.bytecode = 0, .compression = IMAGE_ZSTD})
/* The compressors' names in enum image_compression's order, NULL-ended:
 * the `compression` setting's words, the stamp's and the result's names. */
extern const char *const image_compressions[];

/* Where the children's bytecode comes from: compiled on each node into
 * node-local memory (PYTHONPYCACHEPREFIX), or the venv's own __pycache__
 * packed into the image (compiled once, before the job). */
enum image_bytecode { IMAGE_BYTECODE_NODE = 0, IMAGE_BYTECODE_IMAGE = 1 };

/* The kind's own figures (staging_result.figures): the squashfs file,
 * its check (the stamp, or a walk of the venv) and build (0 s when
 * reused), its broadcast, the slowest node's mount. */
struct image_figures {
    long long bytes;
    long long entries_walked; /* the venv's entries the check visited: 0 when the stamp sufficed */
    int built;
    int nodes_warm;          /* bcast: nodes that held this very image already, sent nothing */
    double build_s, mount_s, bcast_s;
    const char *mount_with;  /* "squashfuse", "loop"; NULL: not mounted */
    const char *check;       /* "stamp", "walk" */
    const char *deliver;     /* "shared", "bcast"; NULL: not delivered (--stage-only) */
    const char *compression; /* "zstd", "lz4": the recipe's, which the image was built with or checked for */
};
_Static_assert(sizeof(struct image_figures) <= FS_FIGURES_MAX, "image's figures fit the result");

static inline struct image_figures *image_figures(struct staging_result *st)
{
    return (struct image_figures *)(void *)st->figures.bytes;
}

/* What the shared filesystem served this process: bytes read, files opened. */
struct image_io {
    long long bytes_read, files_opened;
};

/* Rank 0: IMAGE made from VENV unless the manifest it was built from
 * still matches, waiting at most LOCK_TIMEOUT s for another build (LOG:
 * a line naming it); FIG gets its size, whether it was built, how it was
 * checked and the time. PREP (the prep step): the venv is walked and a
 * stamp written; else a current stamp spares the walk. HOW: the venv's
 * __pycache__ packed too (IMAGE.bytecode marks such an image) and the
 * compressor (the image's superblock names it); an image made otherwise
 * is rebuilt. */
int image_build(const char *venv, const char *image, double lock_timeout, FILE *log, int prep,
                const struct image_recipe *how, struct image_figures *fig, struct image_io *io, struct err *e);

/* IMAGE's directory opened as ours alone (stage_trusted_dir: made if
 * missing, another user's refused), *BASE IMAGE's last component. */
int image_dir_open(const char *image, const char **base, struct err *e);

/* fs_image_stamp.c: a file's identity; the stamp beside the image. */
struct image_ident {
    long long size;
    unsigned long long ino, dev;
    long long mtime_ns, ctime_ns;
};
void image_ident_of(const struct stat *s, struct image_ident *id);
int image_ident_same(const struct image_ident *a, const struct image_ident *b);
/* BASE.stamp in DFD (SHOWN: the image's path) written atomically: VENV
 * and HOW, the MANIFEST (LEN bytes) the image BASE was built from, and its
 * identity: BUILT, taken from the new file itself, or (NULL) BASE's now. */
int image_stamp_write(int dfd, const char *base, const char *shown, const char *venv,
                      const struct image_recipe *how, const char *manifest, size_t len,
                      const struct image_ident *built, struct err *e);
/* 1 when BASE.stamp in DFD is ours, names VENV, HOW and the image BASE as
 * it is now (*ID); 0 otherwise (no stamp, another venv or recipe, the
 * image replaced). *BYTES_READ grows by the stamp's size. */
int image_stamp_current(int dfd, const char *base, const char *venv, const struct image_recipe *how,
                        struct image_ident *id, long long *bytes_read);
/* The same, and BASE.manifest (ours, never through a link) is the one
 * the stamp names (its length and hash): 1 with *MANIFEST (a new
 * buffer, *LEN bytes), the image's tree as the stager sees it; 0 when
 * either is not current. IO counts the files opened and bytes read. */
int image_stamp_manifest(int dfd, const char *base, const char *venv, const struct image_recipe *how,
                         struct image_ident *id, char **manifest, size_t *len, struct image_io *io);


/* fs_image_local.c: a node's own copy of the image, in POINT-image/
 * beside its mount point POINT: a directory of ours (a stage target's
 * checks), the file venv.sqfs and venv.sqfs.from, the identity of the
 * image it was copied from and its own. */
struct image_local {
    int dfd;                 /* POINT-image */
    int fd;                  /* the temporary file being written; -1: none */
    char *dir;               /* POINT-image, for messages */
    char *path;              /* the copy, as the kernel names it: what is mounted */
    char tmp[64];            /* the temporary file's name; "": none */
};
/* POINT-image/venv.sqfs: the copy a node of POINT mounts (a new string). */
char *image_local_path(const char *point);
/* Opened (made if missing), a killed run's temporary files removed: the
 * caller holds the run's lock. */
int image_local_open(struct image_local *l, const char *point, struct err *e);
/* 1: the copy is whole and of the image SRC (a warm node). */
int image_local_holds(const struct image_local *l, const struct image_ident *src);
/* A new temporary file (O_EXCL, never a name someone planted), written
 * at offsets (L->fd), then renamed over the copy once SRC->size bytes are there. */
int image_local_begin(struct image_local *l, struct err *e);
int image_local_commit(struct image_local *l, const struct image_ident *src, struct err *e);
/* A temporary file not put in place is removed. */
void image_local_close(struct image_local *l);

/* fs_image_bcast.c: deliver = "bcast". Rank 0 reads IMAGE once, in chunks
 * broadcast to one leader per node (reading chunk k+1 while chunk k is in
 * flight); each leader whose copy beside POINT (its node's mount point) is
 * not of this image writes it there. A leader's *COPY (a new string) is
 * what it mounts. Figures on rank 0: FIG's nodes_warm and bcast_s, *BETWEEN
 * the bytes that crossed between nodes; IO what this rank read. Collective. */
/* Where one rank of image_send's communicator writes the image: FD (-1:
 * nowhere, its node holds it) named SHOWN; WHO and NODE name the node in
 * its error ("WHO: node NODE (host H): ..."). */
struct image_sink {
    int fd;
    int node;                /* its number in the leaders' communicator; 0: the reader */
    const char *who, *shown;
};
/* Over COMM, whose rank 0 is the job's rank 0: IMAGE (identity SRC,
 * checked again as it is opened) read once by rank 0 in chunks, each
 * broadcast while the next is read (MPI_Ibcast), and written by each
 * rank into TO at its offsets; a rank whose writes fail goes on
 * receiving. 0: every chunk came and went into TO; -1, E set on the
 * ranks that failed (the caller agrees). IO: what rank 0 read. */
int image_send(MPI_Comm comm, const struct image_sink *to, const char *image, const struct image_ident *src,
               struct image_io *io, struct err *e);
int image_bcast(const struct fs_run *f, const char *point, char **copy, struct image_figures *fig,
                long long *between, struct image_io *io, struct err *e);

/* fs_image_mount.c: IMAGE mounted at DIR with HOW: DIR made ours first (a
 * stage target's checks), refused while anything is mounted there;
 * *POINT (a new string) where, as the kernel names it; *SECONDS the
 * whole of it. */
int image_mount(const char *image, const char *dir, enum image_mounter how, char **point, double *seconds,
                struct err *e);
/* The mount at POINT (canonical) undone if it is IMAGE's (squashfuse's
 * named after it, or squashfs on a loop device backed by it), lazily
 * when busy; any other filesystem there is left alone. */
int image_unmount(const char *point, const char *image, struct err *e);
/* What the mount at POINT (canonical) has read of its image so far: a
 * loop device's sectors read, or squashfuse's reads (its FUSE requests
 * included: a bound from above); -1 when unknown. */
long long image_mount_bytes_read(const char *point);
/* IMAGE's mounts at PLACE or PLACE-node<k> undone, LOG a line each: the
 * caller holds PLACE's lock, so they are a killed run's. IMAGE NULL: the
 * nodes' own copies (image_local_path of each point). */
int image_sweep(const char *image, const char *place, FILE *log, struct err *e);

#endif
