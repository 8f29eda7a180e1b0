/* stage_progress.c: files and bytes done, redrawn on one terminal line
 * while a stage runs long enough for someone to wonder. */
#include <time.h>

#include "../staging/stage_ctx.h"

#define FIRST_NS 200000000L  /* a stage shorter than this shows nothing */
#define EVERY_NS 100000000L

static void later(struct timespec *t, long ns)
{
    t->tv_nsec += ns;
    if (t->tv_nsec >= 1000000000L) {
        t->tv_sec++;
        t->tv_nsec -= 1000000000L;
    }
}

void progress_start(struct progress *p, FILE *out)
{
    *p = (struct progress){.out = out};
    if (!out)
        return;
    clock_gettime(CLOCK_MONOTONIC, &p->next);
    later(&p->next, FIRST_NS);
}

void progress_add(struct progress *p, long long files, long long bytes)
{
    p->files += files;
    p->bytes += bytes;
    if (!p->out)
        return;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec < p->next.tv_sec || (now.tv_sec == p->next.tv_sec && now.tv_nsec < p->next.tv_nsec))
        return;
    fprintf(p->out, "\rstaging: %lld files, %.1f MB done", p->files, (double)p->bytes / 1e6);
    fflush(p->out);
    p->shown = 1;
    p->next = now;
    later(&p->next, EVERY_NS);
}

void progress_end(struct progress *p)
{
    if (!p->shown)
        return;
    fputs("\r\033[K", p->out);
    fflush(p->out);
    p->shown = 0;
}
