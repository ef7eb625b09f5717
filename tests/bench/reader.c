/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * reader FILE THREADS SECONDS
 *
 * Each thread loops open / read to EOF / close on FILE until SECONDS have
 * passed. Prints one machine-readable line:
 *   reads=<total> seconds=<elapsed> rps=<reads per second> errors=<n>
 * Opening fresh each time is the point: a container's `cat /proc/meminfo`
 * costs lookup + open + read + release, not a read on a warm descriptor.
 *
 * reader --wait FILE TIMEOUT
 *
 * Polls FILE every 0.2 ms until a read returns data, then prints
 *   ready_us=<CLOCK_REALTIME in microseconds>
 * so a script can time a daemon's start against bash's $EPOCHREALTIME.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct worker {
        pthread_t thread;
        const char *path;
        uint64_t reads;
        uint64_t errors;
};

static atomic_bool stop;

static int read_once(const char *path)
{
        char buf[16384];
        ssize_t n;
        int fd;

        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        do
                n = read(fd, buf, sizeof(buf));
        while (n > 0 || (n < 0 && errno == EINTR));
        int r = n < 0 ? -errno : 0;
        close(fd);
        return r;
}

static void *worker_main(void *arg)
{
        struct worker *w = arg;

        while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
                if (read_once(w->path) < 0)
                        w->errors++;
                else
                        w->reads++;
        }
        return NULL;
}

static double now_seconds(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int parse_args(int argc, char **argv, long *threads, double *seconds)
{
        char *end;

        if (argc != 4)
                return -EINVAL;
        errno = 0;
        *threads = strtol(argv[2], &end, 10);
        if (errno || *end || *threads < 1 || *threads > 1024)
                return -EINVAL;
        *seconds = strtod(argv[3], &end);
        if (*end || !(*seconds > 0))
                return -EINVAL;
        return 0;
}

static int wait_readable(const char *path, double timeout)
{
        double deadline = now_seconds() + timeout;
        struct timespec ts;
        char buf[256];

        for (;;) {
                int fd = open(path, O_RDONLY | O_CLOEXEC);
                if (fd >= 0) {
                        ssize_t n = read(fd, buf, sizeof(buf));
                        close(fd);
                        if (n > 0)
                                break;
                }
                if (now_seconds() > deadline) {
                        fprintf(stderr, "reader: %s not readable after %.1f s\n", path, timeout);
                        return 1;
                }
                nanosleep(&(struct timespec) { .tv_nsec = 200000 }, NULL);
        }

        clock_gettime(CLOCK_REALTIME, &ts);
        printf("ready_us=%lld\n", (long long) ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
        return 0;
}

int main(int argc, char **argv)
{
        struct worker *workers;
        uint64_t reads = 0, errors = 0;
        double seconds, start, elapsed;
        long threads;
        int r;

        if (argc == 4 && strcmp(argv[1], "--wait") == 0)
                return wait_readable(argv[2], strtod(argv[3], NULL));

        if (parse_args(argc, argv, &threads, &seconds) < 0) {
                fprintf(stderr, "usage: %s FILE THREADS SECONDS\n       %s --wait FILE TIMEOUT\n", argv[0], argv[0]);
                return 2;
        }

        /* Fail early and loudly if the file cannot be read at all. */
        r = read_once(argv[1]);
        if (r < 0) {
                fprintf(stderr, "reader: failed to read %s: %s\n", argv[1], strerror(-r));
                return 1;
        }

        workers = calloc(threads, sizeof(*workers));
        if (!workers)
                return 1;

        start = now_seconds();
        for (long i = 0; i < threads; i++) {
                workers[i].path = argv[1];
                r = pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]);
                if (r != 0) {
                        fprintf(stderr, "reader: pthread_create: %s\n", strerror(r));
                        atomic_store(&stop, true);
                        threads = i;
                        break;
                }
        }

        struct timespec ts = {
                .tv_sec = (time_t) seconds,
                .tv_nsec = (long) ((seconds - (time_t) seconds) * 1e9),
        };
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
        atomic_store(&stop, true);

        for (long i = 0; i < threads; i++) {
                pthread_join(workers[i].thread, NULL);
                reads += workers[i].reads;
                errors += workers[i].errors;
        }
        elapsed = now_seconds() - start;
        free(workers);

        printf("reads=%llu seconds=%.3f rps=%.1f errors=%llu\n",
               (unsigned long long) reads, elapsed, reads / elapsed,
               (unsigned long long) errors);
        return errors > 0 && reads == 0 ? 1 : 0;
}
