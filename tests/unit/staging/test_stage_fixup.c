/* test_stage_fixup.c: the fix-ups' text rewriting: whole paths only, the
 * longest old prefix first, scripts only in their interpreter lines. */
#include <stdlib.h>

#include "../check.h"
#include "../staging/stage_ctx.h"

static char *fix(const char *text, int script)
{
    char *prefixes[] = {"/old/venv", "/old/venv/deeper", "/real/v"};
    size_t n;
    char *out = stage_fixup_text(text, strlen(text), prefixes, 3, "/new/place", script, &n);
    if (out)
        CHECK(n == strlen(out));
    return out;
}

static void check_fix(const char *text, int script, const char *want)
{
    char *got = fix(text, script);
    if (!want) {
        CHECK(got == NULL);
    } else {
        CHECK(got != NULL);
        if (got && strcmp(got, want) != 0) {
            fprintf(stderr, "fix(%s) = %s, want %s\n", text, got, want);
            CHECK(0);
        }
    }
    free(got);
}

/* A new place with a blank, or too long for #!: the /bin/sh form. */
static void check_sh_form(const char *repl, const char *text, const char *want)
{
    char *prefixes[] = {"/old/venv"};
    size_t n = 0;
    char *got = stage_fixup_text(text, strlen(text), prefixes, 1, repl, 1, &n);
    CHECK(got && strcmp(got, want) == 0 && n == strlen(want));
    if (got && strcmp(got, want) != 0)
        fprintf(stderr, "got:\n%s\nwant:\n%s\n", got, want);
    free(got);
}

static void check_activate(const char *text, const char *want)
{
    char *got = stage_fixup_activate_venv(text, strlen(text));
    CHECK(want ? got && strcmp(got, want) == 0 : got == NULL);
    free(got);
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    /* activate, pyvenv.cfg: every whole occurrence. */
    check_fix("VIRTUAL_ENV=\"/old/venv\"\nexport VIRTUAL_ENV\n", 0, "VIRTUAL_ENV=\"/new/place\"\nexport VIRTUAL_ENV\n");
    check_fix("command = /usr/bin/python3 -m venv --copies /old/venv\n", 0,
              "command = /usr/bin/python3 -m venv --copies /new/place\n");
    check_fix("setenv VIRTUAL_ENV '/real/v'\nset PATH /real/v/bin:$PATH\n", 0,
              "setenv VIRTUAL_ENV '/new/place'\nset PATH /new/place/bin:$PATH\n");
    /* The longest prefix wins where two match. */
    check_fix("x=/old/venv/deeper/lib\n", 0, "x=/new/place/lib\n");
    /* Not a whole path: a longer name, or the tail of another path. */
    check_fix("a=/old/venv2 b=/old/venv.bak c=/x/old/venv d=/old/venvs/\n", 0, NULL);
    check_fix("", 0, NULL);
    check_fix("/old/venv", 0, "/new/place");
    /* Scripts: the #! line only. */
    check_fix("#!/old/venv/bin/python3\nimport sys  # /old/venv stays\n", 1,
              "#!/new/place/bin/python3\nimport sys  # /old/venv stays\n");
    check_fix("#!/usr/bin/python3\n# /old/venv\n", 1, NULL);
    check_fix("no shebang /old/venv\n", 1, NULL);
    /* pip's form for interpreter paths too long for #!. */
    check_fix("#!/bin/sh\n'''exec' \"/old/venv/bin/python\" \"$0\" \"$@\"\n' '''\n# /old/venv\n", 1,
              "#!/bin/sh\n'''exec' \"/new/place/bin/python\" \"$0\" \"$@\"\n' '''\n# /old/venv\n");
    check_fix("#!/old/venv/bin/python", 1, "#!/new/place/bin/python");

    check_sh_form("/staged venv", "#!/old/venv/bin/python3 -E\nimport re\n",
                  "#!/bin/sh\n'''exec' \"/staged venv/bin/python3\" -E \"$0\" \"$@\"\n' '''\nimport re\n");
    char long_repl[200], want[512];
    memset(long_repl, 'x', sizeof long_repl - 1);
    long_repl[0] = '/';
    long_repl[sizeof long_repl - 1] = '\0';
    snprintf(want, sizeof want, "#!/bin/sh\n'''exec' \"%s/bin/python\" \"$0\" \"$@\"\n' '''\nx\n", long_repl);
    check_sh_form(long_repl, "#!/old/venv/bin/python\nx\n", want);
    check_sh_form("/short", "#!/old/venv/bin/python\nx\n", "#!/short/bin/python\nx\n");

    check_activate("deactivate () {\n    unset VIRTUAL_ENV\n}\nVIRTUAL_ENV=\"/work/v\"\nexport VIRTUAL_ENV\n", "/work/v");
    check_activate("    export VIRTUAL_ENV='/a b/c'\n", "/a b/c");
    check_activate("VIRTUAL_ENV=\"relative\"\n", NULL);
    check_activate("MY_VIRTUAL_ENV=\"/x\"\n", NULL);
    check_activate("VIRTUAL_ENV=\"/unterminated\n\"\n", NULL);
    check_activate("", NULL);
    return check_summary();
}
