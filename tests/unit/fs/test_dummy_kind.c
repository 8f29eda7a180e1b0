/* test_dummy_kind.c: a kind made up here, registered through the table of
 * kinds (this file's fs_kinds replaces fs/fs_kinds.c at link time): the
 * config reads its settings through its option table and its check, and
 * the result renders its figures by its own functions. No generic code
 * knows its name: what a new kind needs is its file and its row. */
#include <json-c/json.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../check.h"
#include "config/config.h"
#include "fs/fs_kind.h"

struct dummy_opts {
    int depth;
    int colour;
    char *socket;
};

struct dummy_figures {
    long long widgets;
};

static const char *const colours[] = {"red", "green", NULL};

static const struct opt_spec dummy_options[] = {
    {.key = "depth", .type = OPT_INT, .offset = offsetof(struct dummy_opts, depth), .dflt = 3, .min = 1, .max = 9},
    {.key = "colour", .type = OPT_WORD, .offset = offsetof(struct dummy_opts, colour), .dflt = 1, .words = colours},
    {.key = "socket", .type = OPT_PATH, .offset = offsetof(struct dummy_opts, socket), .required = 1,
     .what = "where the dummy listens"},
    {0},
};

static int dummy_check(const struct fs_conf *fs, struct err *e)
{
    const struct dummy_opts *o = fs->opts;
    if (o->colour == 0 && o->depth > 5)
        return err_set(e, EXIT_USAGE, "a red dummy is at most 5 deep");
    return 0;
}

static void dummy_text(const struct staging_result *st, FILE *out)
{
    const struct dummy_figures *f = (const void *)st->figures.bytes;
    fprintf(out, "  dummy         %lld widgets\n", f->widgets);
}

static json_object *dummy_json(const struct staging_result *st)
{
    const struct dummy_figures *f = (const void *)st->figures.bytes;
    json_object *o = json_object_new_object();
    json_object_object_add(o, "widgets", json_object_new_int64(f->widgets));
    return o;
}

static int dummy_prepare(const struct fs_run *f, char **venv, struct staging_result *st, struct err *e)
{
    (void)f, (void)venv, (void)st, (void)e;
    return 0;
}

static const struct fs_kind dummy = {
    .name = "dummy",
    .how = "made up by a unit test",
    .path_required = 1,
    .missing_hint = "no dummy at %s",
    .options = dummy_options,
    .opts_size = sizeof(struct dummy_opts),
    .check = dummy_check,
    .render_text = dummy_text,
    .render_json = dummy_json,
    .ops = {.prepare = dummy_prepare},
};

static const struct fs_kind plain = {.name = "plain", .how = "no settings", .missing_hint = "%s",
                                     .ops = {.prepare = dummy_prepare}};

/* The one table every lookup reads: here, only the kinds of this test. */
const struct fs_kind *const fs_kinds[] = {&dummy, &plain, NULL};

static const char *parse(const char *fs_block, struct config *c, struct err *e)
{
    char text[1024];
    snprintf(text, sizeof text, "machines = ({ name = \"m\"; venv = \"/v\";\n filesystems = (\n%s); });\n", fs_block);
    memset(e, 0, sizeof *e);
    return config_parse(text, "dummy.cfg", c, e) < 0 ? e->msg : "";
}

static void test_settings(void)
{
    struct config c;
    struct err e;
    CHECK(strcmp(parse("{ name = \"d\"; kind = \"dummy\"; path = \"/p\"; depth = 7; socket = \"/s\"; }", &c, &e), "") == 0);
    const struct dummy_opts *o = c.machines[0].fs[0].opts;
    CHECK(c.machines[0].fs[0].kind == &dummy);
    CHECK(o->depth == 7 && o->colour == 1 && strcmp(o->socket, "/s") == 0);
    /* A word set afterwards, as --cleanup sets a kind's word for one run. */
    CHECK(fs_set_word(&c.machines[0].fs[0], "colour", "red", &e) == 0 && o->colour == 0);
    CHECK(fs_set_word(&c.machines[0].fs[0], "colour", "blue", &e) < 0);
    CHECK_CONTAINS(e.msg, "colour 'blue' is not one of red, green");
    CHECK(fs_set_word(&c.machines[0].fs[0], "nothing", "x", &e) == 0);
    config_free(&c);

    struct {
        const char *block, *msg;
    } bad[] = {
        {"{ name = \"d\"; kind = \"dummy\"; path = \"/p\"; }", "kind dummy needs 'socket', where the dummy listens"},
        {"{ name = \"d\"; kind = \"dummy\"; path = \"/p\"; socket = \"/s\"; depth = 10; }", "depth"},
        {"{ name = \"d\"; kind = \"dummy\"; path = \"/p\"; socket = \"/s\"; colour = \"blue\"; }",
         "colour 'blue' is not one of red, green"},
        {"{ name = \"d\"; kind = \"dummy\"; path = \"/p\"; socket = \"/s\"; colour = \"red\"; depth = 6; }",
         "a red dummy is at most 5 deep"},
        {"{ name = \"d\"; kind = \"plain\";\n depth = 2; }", "'depth' applies only to kind dummy"},
        {"{ name = \"d\"; kind = \"plain\"; dept = 2; }", "did you mean 'depth'?"},
        {"{ name = \"d\"; kind = \"staged\"; }", "kind 'staged' is not one of dummy, plain"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *msg = parse(bad[i].block, &c, &e);
        CHECK(e.status == EXIT_USAGE);
        CHECK_CONTAINS(msg, bad[i].msg);
        CHECK_CONTAINS(msg, "dummy.cfg:");
        if (!strstr(msg, bad[i].msg))
            fprintf(stderr, "  case %zu: %s\n", i, msg);
    }
    CHECK_CONTAINS(parse("{ name = \"d\"; kind = \"plain\";\n depth = 2; }", &c, &e), "dummy.cfg:4:");
}

static void test_rendering(void)
{
    struct staging_result st = {.done = 1, .kind = &dummy, .seconds = 0.5, .leaders = 2};
    ((struct dummy_figures *)(void *)st.figures.bytes)->widgets = 42;
    char buf[1024] = "";
    FILE *f = fmemopen(buf, sizeof buf, "w");
    fs_result_text(&st, f);
    fclose(f);
    CHECK_CONTAINS(buf, "dummy         42 widgets");
    json_object *o = fs_result_json(&st), *d, *w;
    CHECK(strcmp(json_object_get_string(json_object_object_get(o, "kind")), "dummy") == 0);
    CHECK(json_object_object_get_ex(o, "dummy", &d) && json_object_object_get_ex(d, "widgets", &w) &&
          json_object_get_int64(w) == 42);
    CHECK(json_object_get_int(json_object_object_get(o, "leaders")) == 2);
    json_object_put(o);
    /* Without its own text, a kind gets the copy counts. */
    st.kind = &plain;
    f = fmemopen(buf, sizeof buf, "w");
    fs_result_text(&st, f);
    fclose(f);
    CHECK_CONTAINS(buf, "staging       plain, 0 entries to 2 copies");
}

int main(void)
{
    test_settings();
    test_rendering();
    return check_summary();
}
