/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Many small processes for the scale and remount benchmarks.
 *
 *   swarm readers MOUNT N SECONDS CGROUP_PROCS_TEMPLATE...
 *     Forks N children. Child i joins the cgroups named by the templates
 *     (printf-style with one %d, e.g. /sys/fs/cgroup/memory/b/c%d/cgroup.procs),
 *     then reads MOUNT/proc/{meminfo,stat,loadavg} once a second, at a phase
 *     of i/N s so the load is spread, like containers polling `top`.
 *     Runs SECONDS after all children are in place.
 *
 *   swarm readers-all MOUNT N SECONDS CGROUP_PROCS_TEMPLATE...
 *     The same, reading all eight files of the tree each second (the soak).
 *
 *   swarm holders MOUNT N
 *     Forks N children, each in its own mount namespace with the eight
 *     MOUNT files bind-mounted over /proc and /sys, as a container runtime
 *     sets them up. Runs until SIGTERM or SIGINT.
 *
 * Both print "ready" on stdout once every child is set up, and a summary
 * line at the end. The children are one fork each: 1000 of them cost
 * little on a 2-core machine.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lxcfs/macro.h"

static const char *const tick_files[] = { "proc/meminfo", "proc/stat", "proc/loadavg" };

static const char *const bind_files[] = {
        "proc/meminfo", "proc/cpuinfo", "proc/stat", "proc/uptime",
        "proc/loadavg", "proc/diskstats", "proc/swaps", "sys/devices/system/cpu/online",
};

/* What a reader child reads each tick: tick_files, or bind_files for
 * readers-all. */
static const char *const *reader_files = tick_files;
static size_t n_reader_files = ELEMENTSOF(tick_files);

struct counters {
        uint32_t reads;
        uint32_t errors;
};

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
        stop_requested = 1;
}

static int write_string(const char *path, const char *s)
{
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (write(fd, s, strlen(s)) < 0)
                return -errno;
        return 0;
}

static int read_to_eof(const char *mnt, const char *file)
{
        char path[4096], buf[16384];
        ssize_t n;

        snprintf(path, sizeof(path), "%s/%s", mnt, file);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        while ((n = read(fd, buf, sizeof(buf))) > 0)
                ;
        return n < 0 ? -errno : 0;
}

static int join_cgroups(int index, char **templates, int n_templates)
{
        for (int t = 0; t < n_templates; t++) {
                char path[4096];

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
                snprintf(path, sizeof(path), templates[t], index);
#pragma GCC diagnostic pop
                int r = write_string(path, "0");
                if (r < 0) {
                        fprintf(stderr, "swarm: failed to join %s: %s\n", path, strerror(-r));
                        return r;
                }
        }
        return 0;
}

static void timespec_add_ns(struct timespec *ts, long ns)
{
        ts->tv_nsec += ns;
        while (ts->tv_nsec >= 1000000000L) {
                ts->tv_nsec -= 1000000000L;
                ts->tv_sec++;
        }
}

static _Noreturn void reader_child(const char *mnt, int index, int n, struct counters *c)
{
        struct timespec next;

        clock_gettime(CLOCK_MONOTONIC, &next);
        timespec_add_ns(&next, (long) ((int64_t) index * 1000000000L / n));
        while (!stop_requested) {
                if (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) != 0)
                        continue;
                for (size_t f = 0; f < n_reader_files; f++) {
                        if (read_to_eof(mnt, reader_files[f]) < 0)
                                __atomic_add_fetch(&c->errors, 1, __ATOMIC_RELAXED);
                        else
                                __atomic_add_fetch(&c->reads, 1, __ATOMIC_RELAXED);
                }
                timespec_add_ns(&next, 1000000000L);
        }
        _exit(0);
}

static int setup_holder(const char *mnt)
{
        if (unshare(CLONE_NEWNS) < 0)
                return -errno;
        /* Keep our binds out of the host's namespace. */
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                return -errno;
        for (size_t f = 0; f < ELEMENTSOF(bind_files); f++) {
                char source[4096], target[4096];

                snprintf(source, sizeof(source), "%s/%s", mnt, bind_files[f]);
                snprintf(target, sizeof(target), "/%s", bind_files[f]);
                if (mount(source, target, NULL, MS_BIND, NULL) < 0) {
                        int r = -errno;
                        fprintf(stderr, "swarm: failed to bind %s on %s: %m\n", source, target);
                        return r;
                }
        }
        return 0;
}

static _Noreturn void holder_child(const char *mnt, int ready_fd)
{
        if (setup_holder(mnt) < 0)
                _exit(1);
        close(ready_fd);
        while (!stop_requested)
                pause();
        _exit(0);
}

/* Returns the number of children forked; each holds ready_fd's write end
 * until it is set up, so the parent's read() returns 0 once all are. */
static int spawn(int n, int ready_pipe[2], pid_t *pids,
                 void (*child)(int index, int ready_fd, void *userdata), void *userdata)
{
        int i;

        for (i = 0; i < n && !stop_requested; i++) {
                pids[i] = fork();
                if (pids[i] < 0) {
                        fprintf(stderr, "swarm: fork: %m\n");
                        break;
                }
                if (pids[i] == 0) {
                        close(ready_pipe[0]);
                        prctl(PR_SET_PDEATHSIG, SIGTERM);
                        child(i, ready_pipe[1], userdata);
                        _exit(0);
                }
        }
        close(ready_pipe[1]);

        char c;
        while (read(ready_pipe[0], &c, 1) < 0 && errno == EINTR && !stop_requested)
                ;
        close(ready_pipe[0]);
        return i;
}

/* Stops the children with sig; dying of it counts as a clean exit. */
static int reap(pid_t *pids, int n, int sig)
{
        int failed = 0;

        for (int i = 0; i < n; i++)
                kill(pids[i], sig);
        for (int i = 0; i < n; i++) {
                int status;

                while (waitpid(pids[i], &status, 0) < 0 && errno == EINTR)
                        ;
                if (WIFSIGNALED(status) && WTERMSIG(status) == sig)
                        continue;
                if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                        failed++;
        }
        return failed;
}

struct readers_args {
        const char *mnt;
        int n;
        char **templates;
        int n_templates;
        struct counters *counters;
};

static void readers_child(int index, int ready_fd, void *userdata)
{
        struct readers_args *a = userdata;

        if (join_cgroups(index, a->templates, a->n_templates) < 0)
                _exit(1);
        close(ready_fd);
        reader_child(a->mnt, index, a->n, &a->counters[index]);
}

static void holders_child(int index, int ready_fd, void *userdata)
{
        holder_child(userdata, ready_fd);
}

static int run_readers(const char *mnt, int n, double seconds, char **templates, int n_templates)
{
        struct readers_args a = { mnt, n, templates, n_templates, NULL };
        _cleanup_free_ pid_t *pids = calloc(n, sizeof(pid_t));
        uint64_t reads = 0, errors = 0;
        int ready_pipe[2];

        a.counters = mmap(NULL, n * sizeof(struct counters), PROT_READ | PROT_WRITE,
                          MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (!pids || a.counters == MAP_FAILED || pipe2(ready_pipe, O_CLOEXEC) < 0)
                return 1;

        int spawned = spawn(n, ready_pipe, pids, readers_child, &a);
        printf("ready\n");
        fflush(stdout);

        struct timespec ts = { (time_t) seconds, (long) ((seconds - (time_t) seconds) * 1e9) };
        while (!stop_requested && nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;

        int failed = reap(pids, spawned, SIGTERM);
        for (int i = 0; i < spawned; i++) {
                reads += a.counters[i].reads;
                errors += a.counters[i].errors;
        }
        printf("children=%d failed=%d reads=%llu errors=%llu\n", spawned, failed,
               (unsigned long long) reads, (unsigned long long) errors);
        return spawned == n && failed == 0 && errors == 0 ? 0 : 1;
}

static int run_holders(const char *mnt, int n)
{
        _cleanup_free_ pid_t *pids = calloc(n, sizeof(pid_t));
        int ready_pipe[2];

        if (!pids || pipe2(ready_pipe, O_CLOEXEC) < 0)
                return 1;

        int spawned = spawn(n, ready_pipe, pids, holders_child, (void *) mnt);
        printf("ready\n");
        fflush(stdout);

        while (!stop_requested)
                pause();

        /* A holder has nothing to tear down: its namespace goes with it. */
        int failed = reap(pids, spawned, SIGKILL);
        printf("children=%d failed=%d\n", spawned, failed);
        return spawned == n && failed == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
        struct sigaction sa = { .sa_handler = on_stop };
        int n = argc > 3 ? atoi(argv[3]) : 0;

        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);

        if (argc >= 6 && streq(argv[1], "readers-all") && n > 0) {
                reader_files = bind_files;
                n_reader_files = ELEMENTSOF(bind_files);
                return run_readers(argv[2], n, strtod(argv[4], NULL), argv + 5, argc - 5);
        }
        if (argc >= 6 && streq(argv[1], "readers") && n > 0)
                return run_readers(argv[2], n, strtod(argv[4], NULL), argv + 5, argc - 5);
        if (argc == 4 && streq(argv[1], "holders") && n > 0)
                return run_holders(argv[2], n);

        fprintf(stderr,
                "usage: %s readers|readers-all MOUNT N SECONDS CGROUP_PROCS_TEMPLATE...\n"
                "       %s holders MOUNT N\n", argv[0], argv[0]);
        return 2;
}
