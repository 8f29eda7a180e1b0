/* opt_spec.h: a table of settings a module declares (key, type, bounds,
 * where it lands in the module's own struct) for a parser above it to read. */
#ifndef BASE_OPT_SPEC_H
#define BASE_OPT_SPEC_H

#include <stddef.h>

enum opt_type {
    OPT_INT,     /* a whole number in [min, max] into an int */
    OPT_WORD,    /* one of WORDS (NULL-ended) into an int: its index */
    OPT_PATH,    /* a path ($VARS expanded, relative to the config's directory) into a char * */
    OPT_PLACE,   /* the same, never empty and never resolved (only `//` and a trailing `/`
                  * taken out): a place the run makes, mounts on or removes, whose
                  * symlinks are judged where it is opened, not followed here */
};

struct opt_spec {
    const char *key;
    enum opt_type type;
    size_t offset;           /* of the value in the module's struct */
    int required;
    int dflt, min, max;      /* OPT_INT; OPT_WORD: dflt is an index into WORDS */
    const char *const *words;
    const char *what;        /* for a missing required key: "the node-local mount point" */
};

/* WORDS joined by ", " into BUF (for messages); returns BUF. */
char *opt_words_list(const char *const *words, char *buf, size_t size);
/* NAME's index in WORDS, or -1. */
int opt_word_index(const char *const *words, const char *name);

#endif
