/* utf8.c: making text valid UTF-8 before it goes into a result (one bad
 * byte in a child's stderr would otherwise make the database refuse it),
 * and harmless on a terminal. */
#include "base/utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REPLACEMENT "\xEF\xBF\xBD" /* U+FFFD */

/* The length of the well-formed character at S (N bytes left), or 0. */
static size_t char_len(const unsigned char *s, size_t n)
{
    unsigned char b = s[0], lo = 0x80, hi = 0xBF;
    size_t len;
    if (b >= 0x01 && b <= 0x7F)
        return 1;
    if (b >= 0xC2 && b <= 0xDF) {
        len = 2;
    } else if (b >= 0xE0 && b <= 0xEF) {
        len = 3;
        lo = b == 0xE0 ? 0xA0 : lo;   /* overlong */
        hi = b == 0xED ? 0x9F : hi;   /* surrogates */
    } else if (b >= 0xF0 && b <= 0xF4) {
        len = 4;
        lo = b == 0xF0 ? 0x90 : lo;   /* overlong */
        hi = b == 0xF4 ? 0x8F : hi;   /* above U+10FFFF */
    } else {
        return 0;
    }
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    return len;
}

char *utf8_valid(const char *in, size_t len, size_t max)
{
    /* Worst case: every byte replaced by three. */
    char *out = malloc(3 * len + 1);
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        size_t k = char_len((const unsigned char *)in + i, len - i);
        memcpy(out + o, k ? in + i : REPLACEMENT, k ? k : 3);
        o += k ? k : 3;
        i += k ? k : 1;
    }
    size_t start = o > max ? o - max : 0;
    while (start < o && ((unsigned char)out[start] & 0xC0) == 0x80)
        start++;
    memmove(out, out + start, o - start);
    out[o - start] = '\0';
    return out;
}

char *utf8_printable(const char *in)
{
    size_t len = strlen(in), o = 0;
    /* Worst case: every byte written as \xNN. */
    char *out = malloc(4 * len + 1);
    for (size_t i = 0; i < len;) {
        const unsigned char *c = (const unsigned char *)in + i;
        size_t k = char_len(c, len - i);
        if (k == 0) {
            memcpy(out + o, REPLACEMENT, 3);
            o += 3;
            k = 1;
        } else if (k == 1 && (c[0] < 0x20 || c[0] == 0x7F)) {
            o += (size_t)sprintf(out + o, "\\x%02x", c[0]);
        } else if (k == 2 && c[0] == 0xC2 && c[1] <= 0x9F) {
            /* C1 controls (U+0080-U+009F): CSI and OSC in one character. */
            o += (size_t)sprintf(out + o, "\\u%04x", c[1]);
        } else {
            memcpy(out + o, c, k);
            o += k;
        }
        i += k;
    }
    out[o] = '\0';
    return out;
}
