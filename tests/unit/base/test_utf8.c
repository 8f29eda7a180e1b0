/* test_utf8.c: utf8_valid: what is kept, what is replaced by U+FFFD,
 * and that a cut never falls inside a character. */
#include <stdlib.h>
#include <string.h>

#include "../check.h"
#include "base/utf8.h"

#define FFFD "\xEF\xBF\xBD"

/* utf8_valid of the first LEN bytes of IN equals WANT. */
static void check_valid(const char *in, size_t len, size_t max, const char *want)
{
    char *got = utf8_valid(in, len, max);
    CHECK(strcmp(got, want) == 0);
    if (strcmp(got, want) != 0)
        fprintf(stderr, "  for %zu bytes: got \"%s\", want \"%s\"\n", len, got, want);
    free(got);
}

static void test_valid_text_is_kept(void)
{
    const char *s = "plain ASCII, caf\xC3\xA9, \xE2\x82\xAC 5, \xF0\x9F\x90\x8D, \xF4\x8F\xBF\xBF\n";
    check_valid(s, strlen(s), 1000, s);
    check_valid("", 0, 10, "");
}

static void test_bad_bytes_are_replaced(void)
{
    check_valid("\xFF\xFE" "ok", 4, 100, FFFD FFFD "ok");
    check_valid("a\x80z", 3, 100, "a" FFFD "z");                 /* lone continuation byte */
    check_valid("\xC0\xAF", 2, 100, FFFD FFFD);                  /* overlong '/' */
    check_valid("\xE0\x80\xAF", 3, 100, FFFD FFFD FFFD);         /* overlong, 3 bytes */
    check_valid("\xED\xA0\x80", 3, 100, FFFD FFFD FFFD);         /* a surrogate */
    check_valid("\xF4\x90\x80\x80", 4, 100, FFFD FFFD FFFD FFFD); /* above U+10FFFF */
    check_valid("\xF5\x80", 2, 100, FFFD FFFD);
    check_valid("x\xC3", 2, 100, "x" FFFD);                      /* cut at the end */
    check_valid("\xA9\xC3\xA9", 3, 100, FFFD "\xC3\xA9");        /* cut at the start (a tail) */
    check_valid("\xE2\x82" "A", 3, 100, FFFD FFFD "A");          /* a character cut short */
    check_valid("a\0b", 3, 100, "a" FFFD "b");                   /* NUL: jsonb refuses \u0000 */
}

static void test_long_text_keeps_its_end_on_a_character(void)
{
    /* "é" is 2 bytes: 5 bytes allowed keep the last two whole, not half of one. */
    check_valid("\xC3\xA9\xC3\xA9\xC3\xA9", 6, 5, "\xC3\xA9\xC3\xA9");
    check_valid("\xC3\xA9\xC3\xA9\xC3\xA9", 6, 4, "\xC3\xA9\xC3\xA9");
    check_valid("abcdef", 6, 3, "def");
    /* Replacements count towards the limit: 3 bytes each. */
    check_valid("\xFF\xFF\xFF", 3, 7, FFFD FFFD);
    check_valid("\xFF", 1, 2, "");
    /* A 4 KiB tail cut from 3,000 "é" after two bad bytes: valid, within the limit. */
    size_t n = 2 + 3000 * 2;
    char *big = malloc(n);
    memcpy(big, "\xFF\xFE", 2);
    for (size_t i = 2; i < n; i += 2)
        memcpy(big + i, "\xC3\xA9", 2);
    char *tail = utf8_valid(big + n - 4095, 4095, 4095);   /* starts inside an "é" */
    CHECK(strlen(tail) == 4094 && strncmp(tail, "\xC3\xA9", 2) == 0);
    free(tail);
    tail = utf8_valid(big + n - 4095, 4095, 5000);
    CHECK(strlen(tail) == 3 + 4094 && strncmp(tail, FFFD "\xC3\xA9", 5) == 0);
    free(tail);
    tail = utf8_valid(big, n, 4095);
    CHECK(strlen(tail) == 4094 && tail[0] == '\xC3');
    free(tail);
    free(big);
}

int main(void)
{
    test_valid_text_is_kept();
    test_bad_bytes_are_replaced();
    test_long_text_keeps_its_end_on_a_character();
    return check_summary();
}
