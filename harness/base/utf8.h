/* utf8.h: text from outside the harness (children's stderr, the command
 * line, the database) made valid UTF-8, so the JSON result it enters is
 * valid too, or printable, so a terminal shows it and obeys none of it. */
#ifndef UTF8_H
#define UTF8_H

#include <stddef.h>

/* The LEN bytes of IN as valid UTF-8, in a new NUL-terminated string of
 * at most MAX bytes: every byte that does not belong to a well-formed
 * character (RFC 3629: no overlong forms, no surrogates, nothing above
 * U+10FFFF), and every NUL (PostgreSQL's jsonb refuses \u0000), becomes
 * U+FFFD. When the result is longer than MAX, its end is kept (a tail's
 * point is its last lines), starting at a character's first byte. */
char *utf8_valid(const char *in, size_t len, size_t max);
/* IN for a terminal, in a new string: what utf8_valid replaces is U+FFFD,
 * C0 controls and DEL are written \xNN (ESC, newline, BEL: no escape
 * sequence, no second line) and C1 controls \u00NN (U+009B is a CSI). */
char *utf8_printable(const char *in);

#endif
