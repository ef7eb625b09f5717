/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The cgroup view of a real process in real v1 cgroups of this host: a parent
 * cgroup with a memory limit and a CFS quota, a child cgroup pinned to CPU 0
 * that holds a sleeping process. Root only; skipped where the v1 memory, cpu,
 * cpuacct or cpuset hierarchy is missing. */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lxcfs/cgroup.h"
#include "lxcfs/fileio.h"
#include "tap.h"

#define LIMIT_BYTES UINT64_C(201326592) /* 192M */
#define TOUCH_BYTES (16u << 20)

static void close_pair(int (*p)[2])
{
        for (int i = 0; i < 2; i++)
                if ((*p)[i] >= 0)
                        close((*p)[i]);
}
#define _cleanup_close_pair_ _cleanup_(close_pair)

static const enum cg_controller used[] = { CG_MEMORY, CG_CPU, CG_CPUACCT, CG_CPUSET, CG_BLKIO };

static struct cg_hierarchies h;
static char parent[64], child[96];
static pid_t sleeper = -1;

static int write_at(int dirfd, const char *path, const char *value)
{
        int fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC);
        ssize_t n;

        if (fd < 0)
                return -errno;
        n = write(fd, value, strlen(value));
        n = n < 0 ? -errno : 0;
        close(fd);
        return (int) n;
}

static int write_in(int dirfd, const char *cg, const char *file, const char *value)
{
        char path[256];

        snprintf(path, sizeof(path), "%s/%s", cg, file);
        return write_at(dirfd, path, value);
}

static void cleanup(void)
{
        if (sleeper > 0) {
                kill(sleeper, SIGKILL);
                waitpid(sleeper, NULL, 0);
                sleeper = -1;
        }
        for (size_t i = 0; i < sizeof(used) / sizeof(used[0]); i++) {
                int fd = h.v1_fd[used[i]];

                if (fd < 0)
                        continue;
                unlinkat(fd, child, AT_REMOVEDIR);
                unlinkat(fd, parent, AT_REMOVEDIR);
        }
}

static int setup(void)
{
        _cleanup_close_pair_ int go[2] = { -1, -1 }, done[2] = { -1, -1 };
        char mems[64], pid[32], c;
        int r;

        for (size_t i = 0; i < sizeof(used) / sizeof(used[0]); i++) {
                int fd = h.v1_fd[used[i]];

                if (fd < 0)
                        continue;
                if (mkdirat(fd, parent, 0755) < 0 && errno != EEXIST)
                        return -errno;
                if (mkdirat(fd, child, 0755) < 0 && errno != EEXIST)
                        return -errno;
        }
        r = read_file_into_at(h.v1_fd[CG_CPUSET], "cpuset.mems", mems, sizeof(mems));
        if (r < 0)
                return r;
        if ((r = write_in(h.v1_fd[CG_CPUSET], parent, "cpuset.cpus", "0")) < 0 ||
            (r = write_in(h.v1_fd[CG_CPUSET], parent, "cpuset.mems", mems)) < 0 ||
            (r = write_in(h.v1_fd[CG_CPUSET], child, "cpuset.cpus", "0")) < 0 ||
            (r = write_in(h.v1_fd[CG_CPUSET], child, "cpuset.mems", mems)) < 0 ||
            (r = write_in(h.v1_fd[CG_MEMORY], parent, "memory.limit_in_bytes", "201326592")) < 0 ||
            (r = write_in(h.v1_fd[CG_CPU], parent, "cpu.cfs_quota_us", "30000")) < 0 ||
            (r = write_in(h.v1_fd[CG_CPU], parent, "cpu.cfs_period_us", "100000")) < 0)
                return r;

        if (pipe2(go, O_CLOEXEC) < 0 || pipe2(done, O_CLOEXEC) < 0)
                return -errno;
        sleeper = fork();
        if (sleeper < 0)
                return -errno;
        if (sleeper == 0) {
                /* Touch memory only once inside the cgroup: v1 does not move
                 * charges made before the move. */
                volatile char *mem;

                if (read(go[0], &c, 1) != 1)
                        _exit(1);
                mem = malloc(TOUCH_BYTES);
                if (!mem)
                        _exit(1);
                for (size_t i = 0; i < TOUCH_BYTES; i += 4096)
                        mem[i] = 1;
                if (write(done[1], "x", 1) != 1)
                        _exit(1);
                pause();
                _exit(0);
        }
        snprintf(pid, sizeof(pid), "%d", (int) sleeper);
        for (size_t i = 0; i < sizeof(used) / sizeof(used[0]); i++) {
                int fd = h.v1_fd[used[i]];

                if (fd >= 0 && (r = write_in(fd, child, "cgroup.procs", pid)) < 0)
                        return r;
        }
        if (write(go[1], "x", 1) != 1 || read(done[0], &c, 1) != 1)
                return -EIO;
        return 0;
}

static uint64_t parent_usage(void)
{
        char path[128];
        uint64_t v = 0;

        snprintf(path, sizeof(path), "%s/memory.usage_in_bytes", parent);
        (void) read_u64_at(h.v1_fd[CG_MEMORY], path, &v);
        return v;
}

static void check_view(void)
{
        struct cg_memory m;
        struct cg_cpu_limits l;
        struct cg_cpu_usage u;
        struct cg_io_stats io;
        struct cg_reader r;
        char want_path[128];
        uint64_t before, after;
        int k;

        k = cg_reader_load(&h, sleeper, &r);
        tap_ok(k == 0, "load the sleeper's /proc/PID/cgroup");
        if (k < 0)
                return;
        snprintf(want_path, sizeof(want_path), "/%s", child);
        tap_streq(r.path[CG_MEMORY], want_path, "memory path");
        tap_streq(r.path[CG_CPUSET], want_path, "cpuset path");

        before = parent_usage();
        k = cg_memory_read(&r, &m);
        after = parent_usage();
        tap_ok(k == 0, "cg_memory_read");
        tap_ok(k == 0 && m.limited && m.limit == LIMIT_BYTES, "limit from the parent cgroup (192M)");
        tap_ok(k == 0 && m.usage >= MIN(before, after) && m.usage <= MAX(before, after),
               "usage is the parent's memory.usage_in_bytes");
        tap_ok(k == 0 && m.usage >= TOUCH_BYTES && cg_memstat_has(&m, MEMSTAT_ANON) &&
               m.stat[MEMSTAT_ANON] >= TOUCH_BYTES, "usage and anon include the 16M the process touched (usage %llu, anon %llu)", (unsigned long long) m.usage, (unsigned long long) m.stat[MEMSTAT_ANON]);

        k = cg_cpu_limits_read(&r, &l);
        tap_ok(k == 0, "cg_cpu_limits_read");
        tap_ok(k == 0 && l.has_cpuset && cpuset_count(&l.cpuset) == 1 && cpuset_has(&l.cpuset, 0), "cpuset is {0}");
        tap_ok(k == 0 && l.has_quota && l.quota_us == 30000 && l.period_us == 100000, "quota 30000/100000");
        tap_ok(k == 0 && cg_quota_cpus(&l) == 1, "quota rounds up to one CPU");

        k = cg_cpu_usage_read(&r, &u);
        tap_ok(k == 0 && u.n_percpu >= 1, "cpuacct usage with a per-CPU split");
        if (k == 0)
                cg_cpu_usage_done(&u);

        if (cg_has_controller(&h, CG_BLKIO)) {
                k = cg_io_stats_read(&r, &io);
                tap_ok(k == 0, "blkio statistics readable");
                if (k == 0)
                        cg_io_stats_done(&io);
        }
        cg_reader_done(&r);
}

int main(void)
{
        int r;

        if (geteuid() != 0) {
                printf("1..0 # SKIP needs root\n");
                return 77;
        }
        r = cg_hierarchies_open_live(&h);
        if (r < 0 || h.v1_fd[CG_MEMORY] < 0 || h.v1_fd[CG_CPU] < 0 || h.v1_fd[CG_CPUACCT] < 0 ||
            h.v1_fd[CG_CPUSET] < 0) {
                printf("1..0 # SKIP no v1 memory, cpu, cpuacct and cpuset hierarchies\n");
                return 77;
        }
        snprintf(parent, sizeof(parent), "lxcfs-test-cgroup-live-%d", (int) getpid());
        snprintf(child, sizeof(child), "%s/inner", parent);

        r = setup();
        tap_ok(r == 0, "create the test cgroups and move a process in (%s)", r < 0 ? strerror(-r) : "ok");
        if (r == 0)
                check_view();
        cleanup();
        tap_ok(faccessat(h.v1_fd[CG_MEMORY], parent, F_OK, 0) < 0, "test cgroups removed");
        cg_hierarchies_close(&h);
        return tap_done();
}
