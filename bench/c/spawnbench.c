/* The same create+reap loops outside the JVM: the physical limit of this machine.
 * usage: spawnbench fork|vfork|spawn SECONDS
 * prints one JSON object: {"method":..., "ops":N, "seconds":S, "ops_per_s":X, "p50_us":A, "p99_us":B} */
#define _GNU_SOURCE
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s fork|vfork|spawn SECONDS\n", argv[0]);
        return 2;
    }
    const char *mode = argv[1];
    double seconds = atof(argv[2]);
    char *const args[] = {"/bin/true", NULL};
    size_t cap = 4000000, n = 0;
    double *lat = malloc(cap * sizeof *lat);
    double start = now(), end = start + seconds;
    while (now() < end && n < cap) {
        double t0 = now();
        pid_t pid;
        if (strcmp(mode, "fork") == 0) {
            pid = fork();
            if (pid == 0) _exit(0);
        } else if (strcmp(mode, "vfork") == 0) {
            pid = vfork();
            if (pid == 0) {
                execve("/bin/true", args, environ);
                _exit(127);
            }
        } else {
            if (posix_spawn(&pid, "/bin/true", NULL, NULL, args, environ) != 0) pid = -1;
        }
        if (pid < 0) {
            perror(mode);
            return 1;
        }
        int st;
        if (waitpid(pid, &st, 0) < 0) {
            perror("waitpid");
            return 1;
        }
        lat[n++] = (now() - t0) * 1e6;
    }
    double took = now() - start;
    qsort(lat, n, sizeof *lat, cmp);
    printf("{\"method\": \"C %s%s\", \"ops\": %zu, \"seconds\": %.3f, \"ops_per_s\": %.1f, \"p50_us\": %.1f, \"p99_us\": %.1f}\n",
           mode, strcmp(mode, "fork") == 0 ? "+_exit" : strcmp(mode, "vfork") == 0 ? "+exec" : " /bin/true",
           n, took, n / took, lat[n / 2], lat[(size_t)(n * 0.99)]);
    return 0;
}
