/* opt_spec.c: the helpers every reader of a settings table shares: a
 * word's index, and the words listed for a message. */
#include "base/opt_spec.h"

#include <stdio.h>
#include <string.h>

char *opt_words_list(const char *const *words, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = 0;
    for (int i = 0; words[i] && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? ", " : "", words[i]);
    return buf;
}

int opt_word_index(const char *const *words, const char *name)
{
    for (int i = 0; words[i]; i++)
        if (strcmp(words[i], name) == 0)
            return i;
    return -1;
}
