/* fs_result.h: what a filesystem kind reports about bringing the venv to
 * the ranks: the figures every kind shares, and a block of its own. */
#ifndef FS_RESULT_H
#define FS_RESULT_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdio.h>

struct fs_kind;

/* The kind's own figures: a struct of the kind's, at most this large
 * (each kind checks its size at compile time). */
#define FS_FIGURES_MAX 128

/* How the venv got where the ranks import it from. ENTRIES = UP_TO_DATE
 * + COPIED + DELTA_UPDATED (+ entries a stage skips: devices, sockets),
 * counted over the source's entries once however many copies there are. */
struct staging_result {
    int done;                /* 0: the venv was used in place */
    const struct fs_kind *kind;
    double seconds;          /* the whole step, waiting for the lock included */
    long long entries, up_to_date, copied, delta_updated, deleted;
    long long literal_bytes; /* file data taken from the source */
    long long matched_bytes; /* reused from the copies' old versions */
    long long bytes_sent;    /* staged: literal bytes written; bcast: what crossed between nodes */
    int leaders;             /* ranks that wrote a copy (or mounted an image): 1 when staged */
    /* What crossed, where the kind counts it (CROSSED 1; else null in
     * the JSON): bytes the run read from the shared filesystem and files
     * it opened there (all ranks, summed), bytes carried between nodes. */
    int crossed;
    long long shared_bytes_read, shared_files_opened, bytes_between_nodes;
    int waited_for_lock;     /* another stage of the target held it first */
    double lock_wait_s;
    union {
        max_align_t align;
        unsigned char bytes[FS_FIGURES_MAX];
    } figures;               /* the kind's own, rendered by the kind */
};

/* The staging lines of the text table: the kind's own, or the copy counts. */
void fs_result_text(const struct staging_result *st, FILE *out);
/* The line of copy counts every copying kind shares. */
void fs_result_text_copies(const struct staging_result *st, FILE *out);
/* The line of what crossed (when the kind counts it). */
void fs_result_text_crossed(const struct staging_result *st, FILE *out);
/* ST as the result's "staging" object: the shared keys, and the kind's
 * own figures as an object named for the kind. */
json_object *fs_result_json(const struct staging_result *st);

#endif
