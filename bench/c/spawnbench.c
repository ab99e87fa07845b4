/* The same create+reap loops outside the JVM: the physical limit of this machine.
 * usage: spawnbench MODE SECONDS [TOUCHED_MIB]
 *   fork        fork(), child _exit(0), waitpid                  (copies the page tables)
 *   vfork       vfork(), child _exit(0), waitpid                 (what daemonkit's forkExit does)
 *   vfork-exec  vfork(), child execve("/bin/true"), waitpid
 *   spawn       posix_spawn("/bin/true") with no attributes, stdio inherited, waitpid
 *   spawn-dk    posix_spawn("/bin/true") doing daemonkit's work: every signal reset to default
 *               (POSIX_SPAWN_SETSIGDEF, all but SIGKILL/SIGSTOP/glibc's 32,33) and an empty mask
 *               (SETSIGMASK), stdio opened on /dev/null, closefrom(3), then pidfd_open,
 *               waitid(P_PIDFD) and close(pidfd); attributes and file actions built once
 * TOUCHED_MIB: first allocate and touch that much memory, as the JVM rows' heap scaling does
 * (fork must copy the page tables that map it; vfork must not).
 * prints one JSON object: {"method":..., "ops":N, "seconds":S, "ops_per_s":X, "p50_us":A, "p99_us":B,
 *   "parent_cpu_us":P, "child_cpu_us":C}: CPU time (user+system) per create+reap in this process and
 *   in its children, which a loaded machine disturbs much less than the rate */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

extern char **environ;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static double cpu_us(int who) {
    struct rusage u;
    getrusage(who, &u);
    return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e6 + u.ru_utime.tv_usec + u.ru_stime.tv_usec;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static const char *label(const char *mode) {
    if (strcmp(mode, "fork") == 0) return "C fork+_exit";
    if (strcmp(mode, "vfork") == 0) return "C vfork+_exit";
    if (strcmp(mode, "vfork-exec") == 0) return "C vfork+exec";
    if (strcmp(mode, "spawn") == 0) return "C posix_spawn";
    if (strcmp(mode, "spawn-dk") == 0) return "C posix_spawn, daemonkit's work";
    return NULL;
}

static void check(int err, const char *what) {
    if (err != 0) {
        fprintf(stderr, "%s: %s\n", what, strerror(err));
        exit(1);
    }
}

int main(int argc, char **argv) {
    if ((argc != 3 && argc != 4) || label(argv[1]) == NULL) {
        fprintf(stderr, "usage: %s fork|vfork|vfork-exec|spawn|spawn-dk SECONDS [TOUCHED_MIB]\n", argv[0]);
        return 2;
    }
    const char *mode = argv[1];
    double seconds = atof(argv[2]);
    long touched = argc == 4 ? atol(argv[3]) : 0;
    volatile char *ballast = touched > 0 ? malloc((size_t)touched << 20) : NULL;
    if (touched > 0 && ballast == NULL) {
        perror("malloc");
        return 1;
    }
    for (long i = 0; i < (touched << 20); i += 4096) ballast[i] = 1;
    char *const args[] = {"/bin/true", NULL};

    posix_spawnattr_t attr;
    posix_spawn_file_actions_t fa;
    int dk = strcmp(mode, "spawn-dk") == 0;
    if (dk) {
        sigset_t all, none;
        sigfillset(&all);
        sigdelset(&all, SIGKILL);
        sigdelset(&all, SIGSTOP);
        sigemptyset(&none);
        check(posix_spawnattr_init(&attr), "posix_spawnattr_init");
        check(posix_spawnattr_setsigdefault(&attr, &all), "setsigdefault");
        check(posix_spawnattr_setsigmask(&attr, &none), "setsigmask");
        check(posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK), "setflags");
        check(posix_spawn_file_actions_init(&fa), "file_actions_init");
        check(posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0644), "addopen 0");
        check(posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644), "addopen 1");
        check(posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644), "addopen 2");
        check(posix_spawn_file_actions_addclosefrom_np(&fa, 3), "addclosefrom_np");
    }

    size_t cap = 4000000, n = 0;
    double *lat = malloc(cap * sizeof *lat);
    double self0 = cpu_us(RUSAGE_SELF), child0 = cpu_us(RUSAGE_CHILDREN);
    double start = now(), end = start + seconds;
    while (now() < end && n < cap) {
        double t0 = now();
        pid_t pid;
        if (strcmp(mode, "fork") == 0) {
            pid = fork();
            if (pid == 0) _exit(0);
        } else if (strcmp(mode, "vfork") == 0) {
            pid = vfork();
            if (pid == 0) _exit(0);
        } else if (strcmp(mode, "vfork-exec") == 0) {
            pid = vfork();
            if (pid == 0) {
                execve("/bin/true", args, environ);
                _exit(127);
            }
        } else {
            int err = posix_spawn(&pid, "/bin/true", dk ? &fa : NULL, dk ? &attr : NULL, args, environ);
            if (err != 0) {
                check(err, "posix_spawn");
            }
        }
        if (pid < 0) {
            perror(mode);
            return 1;
        }
        if (dk) {
            int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
            if (pidfd < 0) {
                perror("pidfd_open");
                return 1;
            }
            siginfo_t si;
            if (waitid(P_PIDFD, pidfd, &si, WEXITED) < 0) {
                perror("waitid");
                return 1;
            }
            close(pidfd);
        } else {
            int st;
            if (waitpid(pid, &st, 0) < 0) {
                perror("waitpid");
                return 1;
            }
        }
        lat[n++] = (now() - t0) * 1e6;
    }
    double took = now() - start;
    double self = cpu_us(RUSAGE_SELF) - self0, child = cpu_us(RUSAGE_CHILDREN) - child0;
    qsort(lat, n, sizeof *lat, cmp);
    printf("{\"method\": \"%s\", \"ops\": %zu, \"seconds\": %.3f, \"ops_per_s\": %.1f, \"p50_us\": %.1f, \"p99_us\": %.1f, "
           "\"parent_cpu_us\": %.1f, \"child_cpu_us\": %.1f, \"touched_mib\": %ld}\n",
           label(mode), n, took, n / took, lat[n / 2], lat[(size_t)(n * 0.99)], self / n, child / n, touched);
    return 0;
}
