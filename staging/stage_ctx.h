/* stage_ctx.h: the stager's internals shared between its files: one
 * stage's context, and the helpers each concern offers the walk. */
#ifndef STAGE_CTX_H
#define STAGE_CTX_H

#include <librsync.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

#include "../staging/stage.h"

/* A file whose staged copy was rewritten for its new place: the source's
 * and the target's size and mtime when it was, so that a restage knows it
 * up to date without reading it although the two differ. */
struct manifest_entry {
    char *rel;
    long long src_size, dst_size;
    struct timespec src_mtime, dst_mtime;
    unsigned long long dst_ino;
    int seen;                /* met by this stage: kept when saved */
};

struct manifest {
    int valid;               /* read, and made by a stage of this source to this target */
    int changed;             /* must be written back */
    struct manifest_entry *v;
    size_t n, cap;
};

struct progress {
    FILE *out;
    struct timespec next;
    long long files, bytes;
    int shown;
};

enum copy_method { COPY_RANGE, COPY_SENDFILE, COPY_READ_WRITE };

struct stage_ctx {
    const struct stage_opts *o;
    struct stage_stats *st;
    struct err *e;
    const char *target;      /* the target's path as fix-ups write it: no trailing slash */
    int src_root;            /* the source's top directory */
    int lock_fd;
    int dirty;               /* the lock file says a stage is modifying the target */
    int sweep;               /* the last stage died: remove its temporary files */
    struct manifest man;
    char *prefixes[2];       /* the source's old absolute paths, for fix-ups */
    int nprefixes, prefixes_loaded;
    struct progress prog;
    enum copy_method method;
    unsigned tmp_seq;        /* numbers this stage's temporary files */
    pid_t pid;
    mode_t umask;
    /* The directory being walked lacks the owner's write permission:
     * given it before the first write into it (its mode is put back after). */
    int unlock_fd;
    mode_t unlock_mode;
    char rel[PATH_MAX];      /* the directory being walked, relative: "" or "bin/" */
    size_t rel_len;
};

/* stage_tree.c: a stage's context with its target open (created with its
 * parents, apart from the source), made writable, locked, its manifest
 * loaded: returns the target's fd, or -1 with E set. stage_end releases
 * what stage_begin took, CLEAN: the target is whole (its lock says so). */
int stage_begin(struct stage_ctx *c, const struct stage_opts *opts, struct stage_stats *st, struct err *e);
void stage_end(struct stage_ctx *c, int dfd, int clean);
/* The source's top directory open, S its stat; -1 with E (EXIT_SETUP). */
int stage_open_source(const char *path, struct stat *s, struct err *e);

/* stage_target.c: PATH's directory opened from / a component at a time:
 * missing ones created (0755, the last 0700), symlinks followed only when
 * root or we own them, and any directory another user owns or may write
 * in (sticky ones apart) refused, the last one unless ours alone (exit 3).
 * *FRESH: the last one was created now. -1 with E set. */
int stage_open_target(struct stage_ctx *c, const char *path, int *fresh);
/* The target FD carries our marker, or gets it when FRESH or empty but for
 * the stager's own files; anything else is refused. */
int stage_check_marker(struct stage_ctx *c, int fd, int fresh);
/* Modes in the target never give others write permission. */
#define STAGE_MODE(m) ((mode_t)((m) & 07777 & ~(mode_t)(S_IWGRP | S_IWOTH)))

/* "SOURCE/REL/NAME" or "TARGET/REL/NAME" for messages; BUF of PATH_MAX. */
const char *stage_src_path(const struct stage_ctx *c, const char *name, char *buf);
const char *stage_dst_path(const struct stage_ctx *c, const char *name, char *buf);
/* Size and mtime equal: the rsync quick check. A target mtime without
 * nanoseconds matches (Lustre keeps whole seconds). */
int stage_same_file(const struct stat *s, const struct stat *t);
int stage_same_mtime(const struct timespec *s, const struct timespec *t);
int stage_is_pyc(const char *name);
/* NAME is never staged: bytecode, a temporary file, or (AT_TOP: in the
 * tree's top directory) the lock file, the manifest or the marker. */
int stage_skip_name(const char *name, int at_top);
/* NAME, in the directory being walked, is the lock file, the manifest or the marker. */
int stage_is_own(const struct stage_ctx *c, const char *name);

/* stage_walk.c: stages the directory open as SFD into DFD, recursively;
 * FRESH: DFD was just created, so it holds nothing yet. */
int stage_walk_dir(struct stage_ctx *c, int sfd, int dfd, int fresh);
/* The names in the directory FD (not . and ..), sorted; -1 with errno. */
int stage_list_dir(int fd, char ***names, size_t *n);
void stage_free_names(char **names, size_t n);
/* Gives the target entry NAME (stat T) the source's permissions S. */
int stage_fix_mode(struct stage_ctx *c, int dfd, const char *name, const struct stat *s, const struct stat *t);
/* Sets the mode of NAME below DFD, the entry T (by inode), never
 * through a symlink; an entry replaced since T was taken is an error. */
int stage_chmod_at(struct stage_ctx *c, int dfd, const char *name, const struct stat *t, mode_t mode);
/* A target entry the stager did not make (another owner, or a regular
 * file with other hard links): replaced, never trusted or changed. */
int stage_foreign(const struct stat *t);
/* Before writing into the directory being walked. */
int stage_dir_writable(struct stage_ctx *c);
/* Gives the directory FD (the one being walked) S's permissions and mtime. */
int stage_dir_attrs(struct stage_ctx *c, int fd, const struct stat *s);

/* stage_tmpfile.c: a temporary file in the final file's directory that
 * becomes the final file by rename, so no reader sees half a file. */
struct stage_tmp {
    int dirfd, fd;
    mode_t mode;             /* the final file's permissions */
    int chmod;               /* open could not give them */
    char name[32];
};
int stage_tmp_create(struct stage_ctx *c, int dirfd, const char *final, mode_t mode, struct stage_tmp *t);
/* Gives the file its mode and MTIME and renames it over FINAL; on
 * failure removes it. ST (may be NULL) gets the final file's stat. */
int stage_tmp_commit(struct stage_ctx *c, struct stage_tmp *t, const char *final, const struct timespec *mtime,
                     struct stat *st);
void stage_tmp_abort(struct stage_tmp *t);
/* A symlink to TO, with S's mtime, put in place of FINAL by rename. */
int stage_tmp_symlink(struct stage_ctx *c, int dirfd, const char *to, const char *final, const struct stat *s);
int stage_is_tmp_name(const char *name);

/* stage_copy.c: a new file, copied whole by the kernel. */
int stage_copy_file(struct stage_ctx *c, int sfd, int dfd, const char *name, const struct stat *s);
/* stage_delta.c: a changed file, rebuilt from the target's old copy. */
int stage_delta_file(struct stage_ctx *c, int sfd, int dfd, const char *name, const struct stat *s,
                     const struct stat *t);
/* Its librsync steps on streams, usable apart (the broadcast computes the
 * signature on one node and the delta on another): the signature of
 * BASIS (BASIS_SIZE bytes) into SIG; the delta of SRC against the
 * signature read from SIG into DELTA; both streams flushed. */
rs_result stage_rs_sig(FILE *basis, long long basis_size, FILE *sig);
rs_result stage_rs_delta(FILE *sig, FILE *src, FILE *delta, rs_stats_t *ds);
/* BASIS patched by DELTA into the temporary file T of the final NAME. */
int stage_patch_into(struct stage_ctx *c, FILE *basis, FILE *delta, struct stage_tmp *t, const char *name);
/* librsync's own log silenced: its errors are returned and reported. */
void stage_rs_quiet(void);

/* stage_fixup.c: files that name the venv's own path. Returns 1 when the
 * file was handled here (fixed up or found so), 0 when it is an ordinary
 * file for the caller to stage, -1 on error. */
int stage_fixup_file(struct stage_ctx *c, int sfd, int dfd, const char *name, const struct stat *s,
                     const struct stat *t);
void stage_fixup_free(struct stage_ctx *c);
/* How a file names the venv: pyvenv.cfg as is; a script in its #! line;
 * activate scripts of sh, csh and fish in their own quoting. */
enum fixup_kind { FIXUP_PLAIN = 0, FIXUP_SCRIPT = 1, FIXUP_SH, FIXUP_CSH, FIXUP_FISH };
/* TEXT with every old PREFIX standing as a whole path replaced by REPL,
 * quoted for the shell of KIND where it stands; in a FIXUP_SCRIPT only in
 * the lines naming its interpreter. A new buffer, or NULL when nothing was
 * replaced. REPL holds no control character (the config refuses those). */
char *stage_fixup_text(const char *text, size_t len, char *const *prefixes, int n, const char *repl,
                       enum fixup_kind kind, size_t *out_len);
/* The path an activate script sets VIRTUAL_ENV to (new buffer), or NULL. */
char *stage_fixup_activate_venv(const char *text, size_t len);
/* The old places of the venv SOURCE (open as SRC_ROOT) that fix-ups
 * replace: its real path, and where its activate says it was built (a
 * venv copied with cp -a still names its origin). Returns how many went
 * into PREFIXES (new buffers). */
int stage_fixup_prefixes(const char *source, int src_root, char *prefixes[2]);

/* stage_relocated.c: the record of files rewritten for their new place (fix-ups). */
void manifest_load(struct stage_ctx *c, int root_fd);
struct manifest_entry *manifest_find(struct stage_ctx *c, const char *rel);
void manifest_record(struct stage_ctx *c, const char *rel, const struct stat *s, const struct stat *t);
/* M records the source S fixed up into the target file T, as T still is. */
int manifest_matches(const struct manifest_entry *m, const struct stat *s, const struct stat *t);
int manifest_save(struct stage_ctx *c, int root_fd);
void manifest_free(struct manifest *m);

/* stage_lock.c: one stage of a target at a time. */
int stage_lock(struct stage_ctx *c, int root_fd);
/* Before the first temporary file: says so in the lock file, so that the
 * next stage sweeps what a killed one left behind. */
int stage_mark_dirty(struct stage_ctx *c);
void stage_unlock(struct stage_ctx *c, int clean);

/* stage_delete.c: what the source does not have, and sweeping. */
int stage_extras(struct stage_ctx *c, int dfd, char *const *names, size_t n);
int stage_remove(struct stage_ctx *c, int dfd, const char *name, int count);

/* stage_progress.c */
void progress_start(struct progress *p, FILE *out);
void progress_add(struct progress *p, long long files, long long bytes);
void progress_end(struct progress *p);

#endif
