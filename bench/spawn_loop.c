/* spawn_loop.c: the reference for `make bench`: N bare posix_spawn +
 * waitpid of a command, printing the median seconds of one. */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: spawn-loop N PROGRAM [ARGS...]\n");
        return 2;
    }
    int n = atoi(argv[1]);
    if (n < 1) {
        fprintf(stderr, "spawn-loop: N must be at least 1, got '%s'\n", argv[1]);
        return 2;
    }
    double *t = malloc((size_t)n * sizeof *t);
    for (int i = 0; i < n; i++) {
        pid_t pid;
        int st;
        double t0 = now();
        if (posix_spawn(&pid, argv[2], NULL, NULL, argv + 2, environ) != 0) {
            perror("spawn-loop: posix_spawn");
            return 1;
        }
        waitpid(pid, &st, 0);
        t[i] = now() - t0;
    }
    qsort(t, (size_t)n, sizeof *t, cmp);
    printf("%.9f\n", n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2);
    free(t);
    return 0;
}
