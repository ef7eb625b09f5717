/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A container's reader, as hard as it gets: loop open/read-to-EOF/close
 * over the given files until SIGTERM/SIGINT, checking every content, and
 * report
 *   reads=N failed=N wrong=N max_stall_ms=X.Y errors=ENOTCONN:2,EIO:1
 * (on stdout, or into $READ_STORM_REPORT). A "read" is one whole file.
 * A stall is the time one such read took; the longest one is what a
 * program in the container would notice during a daemon restart.
 *
 *   read-storm FILE[=PREFIX]...
 * A file's content must start with PREFIX (default: not empty). With
 * READ_STORM_STALLS=PATH every read slower than 20 ms is also logged
 * there with its end time (CLOCK_REALTIME, for matching against events). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BUF_SIZE     (256 * 1024)
#define SLOW_NSEC    (20 * 1000 * 1000LL)
#define MAX_ERRNO    256

static volatile sig_atomic_t stop;

static void on_stop(int sig) { stop = 1; }

struct target {
        const char *path;
        const char *prefix;
};

struct tally {
        unsigned long long reads, failed, wrong;
        long long max_stall_ns;
        unsigned long long by_errno[MAX_ERRNO];
};

static long long now_ns(clockid_t clock)
{
        struct timespec ts;

        clock_gettime(clock, &ts);
        return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* 0, a positive errno, or -1 for wrong content. */
static int read_once(const struct target *t, char *buf)
{
        size_t used = 0;
        ssize_t n;
        int fd = open(t->path, O_RDONLY | O_CLOEXEC);

        if (fd < 0)
                return errno;
        while ((n = read(fd, buf + used, BUF_SIZE - 1 - used)) > 0 && used + (size_t) n < BUF_SIZE - 1)
                used += (size_t) n;
        if (n < 0) {
                int e = errno;
                close(fd);
                return e;
        }
        if (close(fd) < 0)
                return errno;
        buf[used] = '\0';
        if (used == 0 || (t->prefix && strncmp(buf, t->prefix, strlen(t->prefix)) != 0))
                return -1;
        return 0;
}

static void report(const struct tally *t, FILE *f)
{
        bool first = true;

        fprintf(f, "reads=%llu failed=%llu wrong=%llu max_stall_ms=%.1f errors=", t->reads, t->failed,
                t->wrong, (double) t->max_stall_ns / 1e6);
        for (int e = 0; e < MAX_ERRNO; e++)
                if (t->by_errno[e]) {
                        fprintf(f, "%s%s:%llu", first ? "" : ",", strerrorname_np(e) ?: "?", t->by_errno[e]);
                        first = false;
                }
        fprintf(f, "%s\n", first ? "none" : "");
}

int main(int argc, char **argv)
{
        struct sigaction sa = { .sa_handler = on_stop };
        struct target *targets;
        struct tally t = { 0 };
        const char *out = getenv("READ_STORM_REPORT"), *stalls_path = getenv("READ_STORM_STALLS");
        FILE *stalls = NULL, *f;
        char *buf;
        int n = argc - 1;

        if (n < 1) {
                fprintf(stderr, "usage: %s FILE[=PREFIX]...\n", argv[0]);
                return 2;
        }
        targets = calloc((size_t) n, sizeof(*targets));
        buf = malloc(BUF_SIZE);
        if (!targets || !buf)
                return 1;
        for (int i = 0; i < n; i++) {
                char *eq = strchr(argv[i + 1], '=');

                if (eq)
                        *eq = '\0';
                targets[i] = (struct target) { .path = argv[i + 1], .prefix = eq ? eq + 1 : NULL };
        }
        if (stalls_path)
                stalls = fopen(stalls_path, "we");
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);

        for (unsigned long long i = 0; !stop; i++) {
                const struct target *tg = &targets[i % (unsigned) n];
                long long start = now_ns(CLOCK_MONOTONIC), took;
                int r = read_once(tg, buf);

                took = now_ns(CLOCK_MONOTONIC) - start;
                if (r > 0 && r == EINTR && stop)
                        break;
                t.reads++;
                if (took > t.max_stall_ns)
                        t.max_stall_ns = took;
                if (stalls && took > SLOW_NSEC)
                        fprintf(stalls, "%.3f %.1f %s %s\n", (double) now_ns(CLOCK_REALTIME) / 1e9,
                                (double) took / 1e6, tg->path, r == 0 ? "ok" : "error");
                if (r > 0) {
                        t.failed++;
                        t.by_errno[r < MAX_ERRNO ? r : 0]++;
                } else if (r < 0)
                        t.wrong++;
        }
        if (stalls)
                fclose(stalls);
        f = out ? fopen(out, "we") : stdout;
        if (!f)
                f = stdout;
        report(&t, f);
        if (f != stdout)
                fclose(f);
        free(buf);
        free(targets);
        return 0;
}
