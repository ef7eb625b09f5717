/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The generate() side of the renderers on this machine's real cgroups: a
 * child process is put in fresh v1 memory, cpuset and cpuacct cgroups
 * (256 MiB, the highest online CPU) and each virtual file is generated for
 * it. Root only; v1/hybrid hosts only (the v2 case runs in the VM tests). */
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lxcfs/fileio.h"
#include "lxcfs/render.h"
#include "lxcfs/render_cache.h"
#include "lxcfs/vfile.h"
#include "tap.h"

static const enum cg_controller used[] = { CG_MEMORY, CG_CPUSET, CG_CPUACCT };
static char name[48];

static int write_at(int dirfd, const char *path, const char *text)
{
        _cleanup_close_ int fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC);

        if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t) strlen(text))
                return -errno;
        return 0;
}

static void remove_cgroups(const struct cg_hierarchies *h)
{
        for (size_t i = 0; i < ELEMENTSOF(used); i++)
                unlinkat(h->v1_fd[used[i]], name, AT_REMOVEDIR);
}

static int make_cgroups(const struct cg_hierarchies *h, unsigned cpu, pid_t child)
{
        char buf[128], mems[256] = "0";
        int r = 0;

        for (size_t i = 0; i < ELEMENTSOF(used); i++)
                if (mkdirat(h->v1_fd[used[i]], name, 0755) < 0)
                        return -errno;
        snprintf(buf, sizeof(buf), "%s/memory.limit_in_bytes", name);
        r = r ?: write_at(h->v1_fd[CG_MEMORY], buf, "268435456");
        read_file_into_at(h->v1_fd[CG_CPUSET], "cpuset.mems", mems, sizeof(mems));
        snprintf(buf, sizeof(buf), "%s/cpuset.mems", name);
        r = r ?: write_at(h->v1_fd[CG_CPUSET], buf, mems);
        snprintf(buf, sizeof(buf), "%s/cpuset.cpus", name);
        {
                char cpus[16];
                snprintf(cpus, sizeof(cpus), "%u", cpu);
                r = r ?: write_at(h->v1_fd[CG_CPUSET], buf, cpus);
        }
        for (size_t i = 0; i < ELEMENTSOF(used); i++) {
                char pid[16];
                snprintf(buf, sizeof(buf), "%s/cgroup.procs", name);
                snprintf(pid, sizeof(pid), "%d", (int) child);
                r = r ?: write_at(h->v1_fd[used[i]], buf, pid);
        }
        return r;
}

static char *generate(const char *path, struct render_ctx *ctx)
{
        _cleanup_strbuf_ struct strbuf out = STRBUF_INIT;

        for (size_t i = 0; i < vfile_table_size; i++)
                if (streq(vfile_table[i].path, path)) {
                        if (vfile_table[i].generate(ctx, &out) < 0)
                                return NULL;
                        return strbuf_steal(&out, NULL);
                }
        return NULL;
}

static unsigned count_prefix(const char *text, const char *prefix)
{
        unsigned n = 0;

        for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
                if (startswith(p, prefix))
                        n++;
        return n;
}

static void test_table(void)
{
        static const char *const want[] = {
                "proc/cpuinfo", "proc/diskstats", "proc/loadavg", "proc/meminfo",
                "proc/pressure/cpu", "proc/pressure/io", "proc/pressure/memory", "proc/slabinfo",
                "proc/stat", "proc/swaps", "proc/uptime", "sys/devices/system/cpu/online",
        };

        tap_ok(vfile_table_size == ELEMENTSOF(want), "%zu virtual files", ELEMENTSOF(want));
        for (size_t i = 0; i < ELEMENTSOF(want) && i < vfile_table_size; i++)
                tap_ok(streq(vfile_table[i].path, want[i]) && vfile_table[i].generate,
                       "table row %zu: %s", i, want[i]);
}

static void test_child(const struct cg_hierarchies *h, pid_t child, unsigned cpu)
{
        const struct lxcfs_options opts = { .use_cfs = true, .use_swap = true, .use_loadavg = false };
        _cleanup_free_ char *meminfo = NULL, *online = NULL, *cpuinfo = NULL, *stat = NULL, *swaps = NULL;
        char want[64], line[32];
        struct render_ctx ctx;

        render_ctx_init(&ctx, child, &opts, h, NULL, NULL);
        meminfo = generate("proc/meminfo", &ctx);
        online = generate("sys/devices/system/cpu/online", &ctx);
        cpuinfo = generate("proc/cpuinfo", &ctx);
        stat = generate("proc/stat", &ctx);
        swaps = generate("proc/swaps", &ctx);
        render_ctx_done(&ctx);

        tap_ok(meminfo && startswith(meminfo, "MemTotal:         262144 kB\n"), "meminfo: 256 MiB");
        tap_ok(meminfo && strstr(meminfo, "\nBuffers:               0 kB\n"), "meminfo: no buffers");
        snprintf(want, sizeof(want), "%u\n", cpu);
        tap_streq(online, want, "online: the cpuset's CPU");
        snprintf(line, sizeof(line), "processor\t: %u\n", cpu);
        tap_ok(cpuinfo && startswith(cpuinfo, line) && count_prefix(cpuinfo, "processor") == 1,
               "cpuinfo: one block, real id");
        snprintf(line, sizeof(line), "cpu%u ", cpu);
        tap_ok(stat && startswith(stat, "cpu  ") && count_prefix(stat, "cpu") == 2 &&
               count_prefix(stat, line) == 1, "stat: aggregate and one cpu line");
        tap_ok(swaps && startswith(swaps, "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"),
               "swaps: kernel header");
}

static void test_vanished_reader(const struct cg_hierarchies *h)
{
        const struct lxcfs_options opts = { .use_cfs = true, .use_swap = true };
        _cleanup_free_ char *meminfo = NULL, *host = NULL;
        struct render_ctx ctx;
        const struct cg_reader *reader;

        render_ctx_init(&ctx, 999999999, &opts, h, NULL, NULL);
        tap_ok(render_ctx_reader(&ctx, &reader) < 0, "vanished reader: no cgroup view");
        meminfo = generate("proc/meminfo", &ctx);
        render_ctx_done(&ctx);
        read_file_at(AT_FDCWD, "/proc/meminfo", &host, NULL);
        tap_ok(meminfo && host && strncmp(meminfo, host, strcspn(host, "\n")) == 0,
               "vanished reader: host MemTotal");
}

static int generate_row(const char *path, struct render_ctx *ctx, struct strbuf *out)
{
        for (size_t i = 0; i < vfile_table_size; i++)
                if (streq(vfile_table[i].path, path))
                        return vfile_generate(&vfile_table[i], ctx, out);
        return -ENOENT;
}

/* share_as_is: a file shown as the host has it leaves the text in the
 * host cache and hands out that very value; the copy has the same bytes.
 * A contained reader's rendered file is never shared. */
static void test_as_is(const struct cg_hierarchies *h, pid_t child)
{
        static const struct {
                const char *path;
                enum host_file host;
        } rows[] = {
                { "proc/meminfo", HOST_MEMINFO },     { "proc/stat", HOST_STAT },
                { "proc/loadavg", HOST_LOADAVG },     { "proc/uptime", HOST_UPTIME },
                { "proc/swaps", HOST_SWAPS },         { "proc/diskstats", HOST_DISKSTATS },
                { "proc/pressure/cpu", HOST_PRESSURE_CPU },
        };
        const struct lxcfs_options opts = { .use_cfs = true, .use_swap = true };
        struct render_caches caches;
        struct render_ctx ctx;

        if (render_caches_init(&caches, NULL) < 0) {
                tap_ok(false, "caches enabled");
                return;
        }
        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                _cleanup_ttl_value_ struct ttl_value *cached = NULL;
                _cleanup_strbuf_ struct strbuf out = STRBUF_INIT;
                bool shared;

                if (access(host_file_path(rows[i].host), R_OK) < 0) {
                        tap_skip("no host file", "%s", rows[i].path);
                        continue;
                }
                /* Within the cache's TTL: the same value, not an equal copy
                 * (tried again should the machine stall us past the TTL). */
                shared = false;
                for (int try = 0; try < 20 && !shared; try++) {
                        ttl_value_unref(steal_pointer(&cached));
                        strbuf_reset(&out);
                        render_ctx_init(&ctx, 999999999, &opts, h, NULL, &caches);
                        ctx.share_as_is = true;
                        (void) generate_row(rows[i].path, &ctx, &out);
                        shared = host_file_get(&caches, rows[i].host, &cached) == 0 && ctx.as_is == cached &&
                                 out.len == 0;
                        render_ctx_done(&ctx);
                }
                tap_ok(shared, "%s as the host has it: the cached value, shared", rows[i].path);

                render_ctx_init(&ctx, 999999999, &opts, h, NULL, &caches);
                strbuf_reset(&out);
                tap_ok(generate_row(rows[i].path, &ctx, &out) >= 0 && !ctx.as_is && cached &&
                       out.len == strlen(cached->data) && memcmp(out.data, cached->data, out.len) == 0,
                       "%s without share_as_is: the same bytes, copied", rows[i].path);
                render_ctx_done(&ctx);
        }
        if (child > 0) {
                _cleanup_strbuf_ struct strbuf out = STRBUF_INIT;

                render_ctx_init(&ctx, child, &opts, h, NULL, &caches);
                ctx.share_as_is = true;
                (void) generate_row("proc/meminfo", &ctx, &out);
                tap_ok(!ctx.as_is && out.len > 0 && startswith(out.data, "MemTotal:         262144 kB\n"),
                       "meminfo of a limited reader: rendered, not shared");
                render_ctx_done(&ctx);
        }
        render_caches_done(&caches);
}

int main(void)
{
        struct cg_hierarchies h;
        struct cpuset online;
        char buf[256];
        int pipefd[2], last = -1, r;
        pid_t child;

        if (geteuid() != 0) {
                printf("1..0 # SKIP needs root\n");
                return 77;
        }
        if (cg_hierarchies_open_live(&h) < 0 || h.v1_fd[CG_MEMORY] < 0 ||
            h.v1_fd[CG_CPUSET] < 0 || h.v1_fd[CG_CPUACCT] < 0) {
                printf("1..0 # SKIP needs v1 memory, cpuset and cpuacct\n");
                return 77;
        }
        read_file_into_at(AT_FDCWD, "/sys/devices/system/cpu/online", buf, sizeof(buf));
        cpuset_parse(buf, &online);
        CPUSET_FOREACH(c, &online)
                last = c;

        test_table();
        snprintf(name, sizeof(name), "lxcfs-render-live-%d", (int) getpid());
        if (pipe(pipefd) < 0)
                return 1;
        child = fork();
        if (child == 0) {
                close(pipefd[1]);
                _exit(read(pipefd[0], buf, 1) < 0);
        }
        close(pipefd[0]);

        r = make_cgroups(&h, (unsigned) last, child);
        tap_ok(r == 0, "cgroups for the child: %s", strerror(-r));
        if (r == 0)
                test_child(&h, child, (unsigned) last);
        test_vanished_reader(&h);
        test_as_is(&h, r == 0 ? child : -1);

        close(pipefd[1]);
        waitpid(child, NULL, 0);
        remove_cgroups(&h);
        cg_hierarchies_close(&h);
        return tap_done();
}
