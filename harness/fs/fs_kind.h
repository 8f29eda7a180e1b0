/* fs_kind.h: the filesystem kinds and their static facts, which config,
 * job generation and the serial modes read without linking any MPI code. */
#ifndef FS_KIND_H
#define FS_KIND_H

/* Adding a kind: a value here, a row in fs_kinds.c, a row in fs_ops.c and
 * one file fs/fs_<kind>.c with its run-time operations. */
enum fs_kind {
    FS_INPLACE,   /* the venv is used where it was built (the seed's "common") */
    FS_STAGED,    /* the venv is copied to this path before each run */
    FS_BCAST,     /* the venv is broadcast to node-local storage at run time */
    FS_IMAGE,     /* the venv as one squashfs image, mounted on each node */
    FS_NKINDS
};

struct fs_kind_info {
    const char *name;        /* as in the config's `kind` */
    const char *how;         /* "used in place", ... for messages */
    int path_required;       /* without `path` the kind has no place (in place: the venv's own) */
    int stage_step;          /* --stage-only stages it, and its jobs run a stage step */
    int checks_step;         /* its venv exists before the run: --checks-only and the jobs' checks step */
    const char *missing_hint; /* what to do about a missing venv; one %s: the filesystem's path */
    int node_copies;         /* a copy per node, which `cleanup` may remove */
};

/* zstd level of a bcast's whole files unless `compress_level` says: off,
 * as measured (README, "Compression"): level 1 sends 0.31 of the bytes
 * but compresses at about 135 MB/s on one core, slower than any HPC
 * interconnect carries them; it pays on links below about 100 MB/s. */
#define FS_COMPRESS_DEFAULT 0

/* What becomes of a node's copy after the run (`cleanup`, --cleanup). */
enum fs_cleanup {
    FS_CLEANUP_NEVER,        /* kept for the next run's deltas (default) */
    FS_CLEANUP_AFTER_RUN,    /* every node's copy removed at the end */
    FS_CLEANUP_KEEP_LAST,    /* at most one copy per machine: this run's first node's */
};
/* NAME ("never", "after-run", "keep-last") into *C; -1 when it is none. */
int fs_cleanup_parse(const char *name, enum fs_cleanup *c);

/* How an image is mounted on each node (`mount_with`). */
enum fs_mounter {
    FS_MOUNT_SQUASHFUSE,     /* FUSE: no root needed (default) */
    FS_MOUNT_LOOP,           /* the kernel's squashfs on a loop device: root only */
};
/* NAME ("squashfuse", "loop") into *M; -1 when it is none. */
int fs_mounter_parse(const char *name, enum fs_mounter *m);
const char *fs_mounter_name(enum fs_mounter m);

const struct fs_kind_info *fs_kind_info(enum fs_kind kind);
const char *fs_kind_name(enum fs_kind kind);
/* NAME's kind into *KIND; -1 when NAME is none. */
int fs_kind_parse(const char *name, enum fs_kind *kind);
/* "inplace, staged, bcast": for messages that list the choices. */
const char *fs_kind_names(void);

#endif
