/* stage_fixup.c: the files of a venv that name its own absolute path
 * (bin/activate*, pyvenv.cfg, the scripts' #! lines): staged rewritten
 * for the new place, and remembered in the manifest as such. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../staging/stage_ctx.h"

/* Larger files in bin/ are programs, not scripts that name the venv. */
#define FIXUP_MAX (1 << 20)

struct buf {
    char *p;
    size_t n, cap;
};

static void put(struct buf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        while (b->n + n + 1 > b->cap)
            b->cap = b->cap ? b->cap * 2 : 256;
        b->p = realloc(b->p, b->cap);
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

static void put_str(struct buf *b, const char *s)
{
    put(b, s, strlen(s));
}

static int name_char(char ch)
{
    return isalnum((unsigned char)ch) || ch == '_' || ch == '-' || ch == '.';
}

/* The longest old prefix standing at TEXT+I as a whole path: not the end
 * of a longer one, not the start of a longer name ("/venv" in "/venv2"). */
static size_t match_at(const char *text, size_t len, size_t i, char *const *prefixes, int n)
{
    size_t best = 0;
    if (i > 0 && (name_char(text[i - 1]) || text[i - 1] == '/'))
        return 0;
    for (int k = 0; k < n; k++) {
        size_t pl = strlen(prefixes[k]);
        if (pl > best && pl <= len - i && memcmp(text + i, prefixes[k], pl) == 0 &&
            (i + pl == len || !name_char(text[i + pl])))
            best = pl;
    }
    return best;
}

enum quote { Q_NONE, Q_SINGLE, Q_DOUBLE };

/* The quoting in force at TEXT+I for the shell of KIND, from the start of
 * its line (the files rewritten keep each path on one line): backslash
 * escapes where that shell has them, comments skipped. */
static enum quote quote_at(const char *text, size_t i, enum fixup_kind kind)
{
    size_t k = i;
    while (k > 0 && text[k - 1] != '\n')
        k--;
    enum quote q = Q_NONE;
    for (; k < i; k++) {
        char ch = text[k];
        int escapes = q == Q_NONE || kind == FIXUP_FISH || (kind == FIXUP_SH && q == Q_DOUBLE);
        if (ch == '\\' && escapes && (q != Q_SINGLE || text[k + 1] == '\\' || text[k + 1] == '\''))
            k++;
        else if (q == Q_NONE && ch == '#' && (k == 0 || isspace((unsigned char)text[k - 1])))
            return Q_NONE;   /* a comment: nothing there is run */
        else if (q == Q_NONE && (ch == '\'' || ch == '"'))
            q = ch == '\'' ? Q_SINGLE : Q_DOUBLE;
        else if ((q == Q_SINGLE && ch == '\'') || (q == Q_DOUBLE && ch == '"'))
            q = Q_NONE;
    }
    return q;
}

/* Characters no shell gives a meaning to, unquoted. */
static int plain_char(char ch)
{
    return isalnum((unsigned char)ch) || (ch && strchr("/._+,:@%=-", ch));
}

/* CH inside "...": sh, and the #! line's /bin/sh form, which python also
 * reads as a string: each special character in a quoting of its own, so
 * neither sh expands it nor python sees an escape or three quotes. */
static void put_sh_double(struct buf *b, char ch)
{
    if (ch == '$' || ch == '`' || ch == '"' || ch == '\\') {
        char seg[] = {'"', '\'', ch, '\'', '"'};
        put(b, seg, sizeof seg);
    } else if (ch == '\'') {
        put_str(b, "\"\\'\"");
    } else {
        put(b, &ch, 1);
    }
}

/* CH in the quoting Q of the shell of KIND. */
static void put_char_in(struct buf *b, char ch, enum fixup_kind kind, enum quote q)
{
    if (kind == FIXUP_SH && q == Q_DOUBLE) {
        put_sh_double(b, ch);
    } else if ((kind == FIXUP_SH || kind == FIXUP_CSH) && q == Q_SINGLE && ch == '\'') {
        put_str(b, "'\\''");
    } else if (kind == FIXUP_CSH && q == Q_SINGLE && ch == '!') {
        put_str(b, "'\\!'");
    } else if (kind == FIXUP_CSH && q == Q_DOUBLE && strchr("$`\"!\\", ch)) {
        /* csh has no escapes inside "...": out of them for this one. */
        char seg[] = {'"', '\\', ch, '"'};
        put(b, seg, sizeof seg);
    } else if (kind == FIXUP_FISH && ((q == Q_DOUBLE && strchr("$\"\\", ch)) || (q == Q_SINGLE && strchr("'\\", ch)))) {
        char seg[] = {'\\', ch};
        put(b, seg, sizeof seg);
    } else {
        put(b, &ch, 1);
    }
}

/* REPL written where the quoting Q is in force, quoted for the shell of
 * KIND: unquoted, it gets quotes of its own if it needs any. */
static void put_quoted(struct buf *b, const char *repl, enum fixup_kind kind, enum quote q)
{
    int needs = 0;
    for (const char *p = repl; *p; p++)
        needs |= !plain_char(*p);
    if (kind == FIXUP_PLAIN || kind == FIXUP_SCRIPT || !needs) {
        put_str(b, repl);
        return;
    }
    enum quote own = kind == FIXUP_CSH ? Q_DOUBLE : Q_SINGLE;
    const char *mark = own == Q_DOUBLE ? "\"" : "'";
    if (q == Q_NONE)
        put_str(b, mark);
    for (const char *p = repl; *p; p++)
        put_char_in(b, *p, kind, q == Q_NONE ? own : q);
    if (q == Q_NONE)
        put_str(b, mark);
}

/* Every old prefix in TEXT's first REGION bytes replaced, quoted for the
 * file's shell; the rest as is. */
static char *replace_in(const char *text, size_t len, size_t region, char *const *prefixes, int n,
                        const char *repl, enum fixup_kind kind, size_t *out_len)
{
    struct buf b = {0};
    size_t from = 0;
    for (size_t i = 0; i < region; i++) {
        size_t pl = text[i] == '/' ? match_at(text, region, i, prefixes, n) : 0;
        if (!pl)
            continue;
        put(&b, text + from, i - from);
        put_quoted(&b, repl, kind, quote_at(text, i, kind));
        from = i + pl;
        i = from - 1;
    }
    if (!b.p)
        return NULL;
    put(&b, text + from, len - from);
    *out_len = b.n;
    return b.p;
}

/* "#!/old/bin/python3 -E": the kernel splits a #! line at blanks and
 * (before Linux 5.1) cuts it at 127 bytes, so a new interpreter path
 * with a blank, or too long, is started through /bin/sh in the form pip
 * writes itself (python reads the two lines as a string), quoted. */
static char *fix_shebang(const char *text, size_t len, char *const *prefixes, int n, const char *repl,
                         size_t *out_len)
{
    const char *nl = memchr(text, '\n', len);
    size_t line = nl ? (size_t)(nl - text) : len, path_end = 2;
    while (path_end < line && text[path_end] != ' ' && text[path_end] != '\t')
        path_end++;
    size_t pl = match_at(text, path_end, 2, prefixes, n);
    if (!pl)
        return NULL;
    size_t repl_len = strlen(repl), tail = path_end - 2 - pl;
    int direct = !strpbrk(repl, " \t") && 2 + repl_len + tail + (line - path_end) <= 127;
    struct buf b = {0};
    put_str(&b, direct ? "#!" : "#!/bin/sh\n'''exec' \"");
    for (size_t k = 0; k < repl_len; k++) {
        if (direct)
            put(&b, repl + k, 1);
        else
            put_sh_double(&b, repl[k]);
    }
    put(&b, text + 2 + pl, tail);
    if (!direct)
        put_str(&b, "\"");
    put(&b, text + path_end, line - path_end);
    if (!direct)
        put_str(&b, " \"$0\" \"$@\"\n' '''");
    put(&b, text + line, len - line);
    *out_len = b.n;
    return b.p;
}

char *stage_fixup_text(const char *text, size_t len, char *const *prefixes, int n, const char *repl,
                       enum fixup_kind kind, size_t *out_len)
{
    if (kind != FIXUP_SCRIPT)
        return replace_in(text, len, len, prefixes, n, repl, kind, out_len);
    if (len < 2 || memcmp(text, "#!", 2) != 0)
        return NULL;
    /* Already the /bin/sh form: its exec line holds the path, quoted. */
    if (len >= 10 && memcmp(text, "#!/bin/sh\n", 10) == 0) {
        const char *nl = memchr(text + 10, '\n', len - 10);
        return replace_in(text, len, nl ? (size_t)(nl - text) + 1 : len, prefixes, n, repl, FIXUP_SH, out_len);
    }
    return fix_shebang(text, len, prefixes, n, repl, out_len);
}

char *stage_fixup_activate_venv(const char *text, size_t len)
{
    static const char key[] = "VIRTUAL_ENV=";
    for (size_t i = 0; i + sizeof key < len; i++) {
        if (memcmp(text + i, key, sizeof key - 1) != 0 || (i > 0 && !isspace((unsigned char)text[i - 1])))
            continue;
        size_t j = i + sizeof key - 1;
        char quote = text[j];
        if ((quote != '"' && quote != '\'') || j + 1 >= len || text[j + 1] != '/')
            continue;
        const char *end = memchr(text + j + 1, quote, len - j - 1);
        const char *nl = memchr(text + j + 1, '\n', len - j - 1);
        if (end && (!nl || end < nl))
            return strndup(text + j + 1, (size_t)(end - text - j - 1));
    }
    return NULL;
}

/* Reads NAME below DIRFD whole, up to MAX bytes; NULL with errno. */
static char *slurp_at(int dirfd, const char *name, size_t max, size_t *len)
{
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    char *p = malloc(max + 1);
    size_t n = 0;
    ssize_t got = 1;
    while (n < max && (got = read(fd, p + n, max - n)) > 0)
        n += (size_t)got;
    int saved = errno;
    close(fd);
    if (got < 0) {
        free(p);
        errno = saved;
        return NULL;
    }
    p[n] = '\0';
    *len = n;
    return p;
}

int stage_fixup_prefixes(const char *source, int src_root, char *prefixes[2])
{
    int n = 0;
    char *real = realpath(source, NULL);
    if (real)
        prefixes[n++] = real;
    size_t len;
    char *text = slurp_at(src_root, "bin/activate", FIXUP_MAX, &len);
    char *built = text ? stage_fixup_activate_venv(text, len) : NULL;
    free(text);
    if (built && strlen(built) > 1 && (!real || strcmp(built, real) != 0))
        prefixes[n++] = built;
    else
        free(built);
    return n;
}

static void load_prefixes(struct stage_ctx *c)
{
    if (c->prefixes_loaded)
        return;
    c->prefixes_loaded = 1;
    c->nprefixes = stage_fixup_prefixes(c->o->source, c->src_root, c->prefixes);
}

void stage_fixup_free(struct stage_ctx *c)
{
    for (int i = 0; i < c->nprefixes; i++)
        free(c->prefixes[i]);
    c->nprefixes = 0;
}

/* Which files may name the venv: returns 1 for those, with *KIND how
 * (FIXUP_SCRIPT: only the interpreter lines are looked at). */
static int candidate(const struct stage_ctx *c, const char *name, enum fixup_kind *kind)
{
    static const struct {
        const char *name;
        enum fixup_kind kind;
    } activate[] = {{"activate", FIXUP_SH}, {"activate.csh", FIXUP_CSH}, {"activate.fish", FIXUP_FISH}};
    *kind = FIXUP_PLAIN;
    if (c->rel_len == 0)
        return strcmp(name, "pyvenv.cfg") == 0;
    if (c->rel_len != 4 || memcmp(c->rel, "bin/", 4) != 0)
        return 0;
    *kind = FIXUP_SCRIPT;
    for (size_t i = 0; i < sizeof activate / sizeof activate[0]; i++)
        if (strcmp(name, activate[i].name) == 0)
            *kind = activate[i].kind;
    return 1;
}

int manifest_matches(const struct manifest_entry *m, const struct stat *s, const struct stat *t)
{
    return m->src_size == s->st_size && m->src_mtime.tv_sec == s->st_mtim.tv_sec &&
           m->src_mtime.tv_nsec == s->st_mtim.tv_nsec && S_ISREG(t->st_mode) && m->dst_size == t->st_size &&
           m->dst_mtime.tv_sec == t->st_mtim.tv_sec && m->dst_mtime.tv_nsec == t->st_mtim.tv_nsec &&
           m->dst_ino == (unsigned long long)t->st_ino;
}

/* The target already holds exactly TEXT (a restage after a lost manifest). */
static int holds(int dfd, const char *name, const struct stat *s, const struct stat *t, const char *text, size_t len)
{
    if (!t || !S_ISREG(t->st_mode) || (size_t)t->st_size != len || !stage_same_mtime(&s->st_mtim, &t->st_mtim))
        return 0;
    size_t have_len;
    char *have = slurp_at(dfd, name, len, &have_len);
    int same = have && have_len == len && memcmp(have, text, len) == 0;
    free(have);
    return same;
}

static int write_fixed(struct stage_ctx *c, int dfd, const char *name, const struct stat *s, const char *text,
                       size_t len, struct stat *now)
{
    char p[PATH_MAX];
    struct stage_tmp t;
    if (stage_tmp_create(c, dfd, name, s->st_mode, &t) < 0)
        return -1;
    for (size_t done = 0; done < len;) {
        ssize_t w = write(t.fd, text + done, len - done);
        if (w < 0) {
            err_sys(c->e, EXIT_RUNTIME, "cannot write %s", stage_dst_path(c, name, p));
            stage_tmp_abort(&t);
            return -1;
        }
        done += (size_t)w;
    }
    return stage_tmp_commit(c, &t, name, &s->st_mtim, now);
}

int stage_fixup_file(struct stage_ctx *c, int sfd, int dfd, const char *name, const struct stat *s,
                     const struct stat *t)
{
    char rel[PATH_MAX], p[PATH_MAX];
    enum fixup_kind kind;
    if (!candidate(c, name, &kind) || s->st_size > FIXUP_MAX)
        return 0;
    snprintf(rel, sizeof rel, "%s%s", c->rel, name);
    struct manifest_entry *m = manifest_find(c, rel);
    if (m && t && manifest_matches(m, s, t)) {
        m->seen = 1;
        c->st->up_to_date++;
        return stage_fix_mode(c, dfd, name, s, t) < 0 ? -1 : 1;
    }
    /* Examined by an earlier stage and found to name no old path. */
    if (!m && c->man.valid && t && S_ISREG(t->st_mode) && stage_same_file(s, t))
        return 0;

    size_t len, fixed_len;
    /* Programs in bin/ are told from scripts by two bytes, not read whole. */
    int script = kind == FIXUP_SCRIPT;
    char *text = slurp_at(sfd, name, script ? 2 : (size_t)s->st_size, &len);
    if (text && script && (len < 2 || memcmp(text, "#!", 2) != 0)) {
        free(text);
        return 0;
    }
    if (text && script) {
        free(text);
        text = slurp_at(sfd, name, (size_t)s->st_size, &len);
    }
    if (!text)
        return err_sys(c->e, EXIT_RUNTIME, "cannot read %s", stage_src_path(c, name, p));
    load_prefixes(c);
    char *fixed = stage_fixup_text(text, len, c->prefixes, c->nprefixes, c->target, kind, &fixed_len);
    free(text);
    if (!fixed)
        return 0;
    struct stat now;
    int rc = 0;
    if (holds(dfd, name, s, t, fixed, fixed_len)) {
        c->st->up_to_date++;
        rc = stage_fix_mode(c, dfd, name, s, t);
        now = *t;
    } else if ((rc = write_fixed(c, dfd, name, s, fixed, fixed_len, &now)) == 0) {
        c->st->copied++;
        c->st->literal_bytes += (long long)fixed_len;
    }
    free(fixed);
    if (rc < 0)
        return -1;
    manifest_record(c, rel, s, &now);
    return 1;
}
