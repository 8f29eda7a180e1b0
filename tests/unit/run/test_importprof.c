/* test_importprof.c: parsing of -X importtime output: the header, nested
 * names, and lines that are not the profile (a traceback) skipped. */
#include <stdlib.h>

#include "../check.h"
#include "run/importprof.h"

static const char text[] =
    "import time: self [us] | cumulative | imported package\n"
    "import time:       140 |        140 |   _io\n"
    "import time:       375 |        867 | _frozen_importlib_external\n"
    "import time:       361 |      20688 |   numpy.lib\n"
    "Traceback (most recent call last):\n"
    "  File \"<string>\", line 1, in <module>\n"
    "import time:      1126 |      62043 | numpy\n"
    "import time: garbage | x | y\n"
    "import time:         7 |          7 |     numpy.lib  \r\n";

int main(void)
{
    struct prof p;
    CHECK(importprof_parse(text, &p) == 0);
    CHECK(p.n == 4);
    if (p.n == 4) {
        CHECK(strcmp(p.v[0].module, "_io") == 0);
        CHECK(p.v[0].self_us == 140 && p.v[0].cumulative_us == 140);
        CHECK(strcmp(p.v[2].module, "numpy.lib") == 0);
        CHECK(p.v[2].self_us == 368 && p.v[2].cumulative_us == 20695);   /* the repeat adds up */
        CHECK(strcmp(p.v[3].module, "numpy") == 0 && p.v[3].cumulative_us == 62043);
    }
    importprof_free(&p);
    CHECK(importprof_parse("", &p) == 0 && p.n == 0);
    importprof_free(&p);
    return check_summary();
}
