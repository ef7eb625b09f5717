/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The cgroup file readers, v1 and v2, through their public entry points:
 * memory (limits, usage, memory.stat, memsw/swap), CPU limits (cpuset,
 * cfs_quota/period, cpu.max), CPU usage (cpuacct.usage_all, cpuacct.stat,
 * cpu.stat) and block I/O (three blkio tables, io.stat).
 *
 * An input is "v1/FILE\nCONTENT" or "v2/FILE\nCONTENT". A scratch hierarchy
 * (a tmpfs directory per version, cgroup "a", plus "b" for the fallbacks
 * that need a missing file) holds a sane default for every file; the named
 * file gets CONTENT, the reader that uses it runs, and the default comes
 * back. What a reader accepts is then rendered, so odd but accepted values
 * go through the renderers too. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "lxcfs/cgroup.h"
#include "lxcfs/render.h"
#include "lxcfs/strbuf.h"

enum reader { MEM, CPU_LIMITS, CPU_USAGE, IO };

struct file {
        const char *name;   /* as in the input: "v1/memory.stat" */
        const char *cgroup; /* "a" or "b" */
        enum reader reader;
        const char *fallback_default;
};

static const struct file files[] = {
        { "v1/memory.limit_in_bytes",        "a", MEM, "268435456\n" },
        { "v1/memory.usage_in_bytes",        "a", MEM, "10485760\n" },
        { "v1/memory.stat",                  "a", MEM, "total_cache 4096\ntotal_rss 8192\nhierarchical_memsw_limit 9223372036854771712\n" },
        { "v1/memory.memsw.limit_in_bytes",  "a", MEM, "335544320\n" },
        { "v1/memory.memsw.usage_in_bytes",  "a", MEM, "10485760\n" },
        { "v1/cpuset.effective_cpus",        "a", CPU_LIMITS, "0-3\n" },
        { "v1/cpuset.cpus",                  "b", CPU_LIMITS, "1\n" },
        { "v1/cpu.cfs_quota_us",             "a", CPU_LIMITS, "150000\n" },
        { "v1/cpu.cfs_period_us",            "a", CPU_LIMITS, "100000\n" },
        { "v1/cpuacct.usage_all",            "a", CPU_USAGE, "cpu user system\n0 100 200\n1 300 400\n" },
        { "v1/cpuacct.stat",                 "b", CPU_USAGE, "user 10\nsystem 20\n" },
        { "v1/blkio.throttle.io_service_bytes_recursive", "a", IO, "Total 0\n" },
        { "v1/blkio.throttle.io_serviced_recursive",      "a", IO, "Total 0\n" },
        { "v1/blkio.throttle.io_service_time_recursive",  "a", IO, "Total 0\n" },
        { "v1/blkio.io_service_bytes_recursive",          "a", IO, "8:0 Read 4096\n8:0 Write 512\nTotal 4608\n" },
        { "v1/blkio.io_serviced_recursive",               "a", IO, "8:0 Read 1\n8:0 Write 1\nTotal 2\n" },
        { "v1/blkio.io_service_time_recursive",           "a", IO, "8:0 Read 1000\n8:0 Write 2000\nTotal 3000\n" },
        { "v1/blkio.bfq.io_service_bytes_recursive",      "a", IO, "8:16 Read 4096\nTotal 4096\n" },
        { "v1/blkio.bfq.io_serviced_recursive",           "a", IO, "8:16 Read 1\nTotal 1\n" },
        { "v2/memory.max",                   "a", MEM, "268435456\n" },
        { "v2/memory.swap.max",              "a", MEM, "max\n" },
        { "v2/memory.current",               "a", MEM, "10485760\n" },
        { "v2/memory.stat",                  "a", MEM, "anon 8192\nfile 4096\nshmem 0\nslab_reclaimable 1024\n" },
        { "v2/memory.swap.current",          "a", MEM, "0\n" },
        { "v2/cpuset.cpus.effective",        "a", CPU_LIMITS, "2,4-5\n" },
        { "v2/cpu.max",                      "a", CPU_LIMITS, "150000 100000\n" },
        { "v2/cpu.stat",                     "a", CPU_USAGE, "usage_usec 300\nuser_usec 100\nsystem_usec 200\n" },
        { "v2/io.stat",                      "a", IO, "8:0 rbytes=4096 wbytes=512 rios=1 wios=1 dbytes=0 dios=0\n" },
};

static struct cg_hierarchies hier[2]; /* [0] v1, [1] v2 */
static int version_fd[2];
static char *host_meminfo, *host_stat, *host_diskstats;

static void write_file(int dirfd, const char *path, const char *content, size_t len)
{
        int fd = openat(dirfd, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

        if (fd < 0 || write(fd, content, len) != (ssize_t) len) {
                fprintf(stderr, "fuzz-cgroup: cannot write %s: %m\n", path);
                abort();
        }
        close(fd);
}

static char *slurp_fixture(const char *rel)
{
        char path[4096];
        FILE *f;
        char *text;
        long n;

        snprintf(path, sizeof(path), "%s/%s", FIXTURES_DIR, rel);
        f = fopen(path, "re");
        if (!f || fseek(f, 0, SEEK_END) < 0 || (n = ftell(f)) < 0) {
                fprintf(stderr, "fuzz-cgroup: cannot read %s: %m\n", path);
                abort();
        }
        rewind(f);
        text = calloc(1, (size_t) n + 1);
        if (!text || fread(text, 1, (size_t) n, f) != (size_t) n)
                abort();
        fclose(f);
        return text;
}

static void setup_hierarchy(void)
{
        const char *tmp = getenv("TMPDIR");
        char root[4096];
        int rootfd;

        snprintf(root, sizeof(root), "%s/lxcfs-fuzz-cgroup-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(root)) {
                fprintf(stderr, "fuzz-cgroup: mkdtemp %s: %m\n", root);
                abort();
        }
        rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                abort();
        for (int v = 0; v < 2; v++) {
                const char *vname = v ? "v2" : "v1";
                char dir[16];

                mkdirat(rootfd, vname, 0755);
                for (const char *cg = "a"; cg; cg = *cg == 'a' ? "b" : NULL) {
                        snprintf(dir, sizeof(dir), "%s/%s", vname, cg);
                        mkdirat(rootfd, dir, 0755);
                }
                version_fd[v] = openat(rootfd, vname, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (version_fd[v] < 0)
                        abort();
        }
        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                char path[128];

                snprintf(path, sizeof(path), "%s/%s", files[i].cgroup, files[i].name + 3);
                write_file(version_fd[files[i].name[1] == '2'], path, files[i].fallback_default,
                           strlen(files[i].fallback_default));
        }
        /* The tree stays: tests/fuzz/run points TMPDIR at a directory it removes. */
        close(rootfd);

        for (int v = 0; v < 2; v++) {
                hier[v] = (struct cg_hierarchies) { .layout = v ? CG_LAYOUT_V2 : CG_LAYOUT_V1,
                                                    .unified_fd = v ? version_fd[1] : -1 };
                for (int c = 0; c < _CG_CONTROLLER_MAX; c++) {
                        hier[v].v1_fd[c] = v ? -1 : version_fd[0];
                        hier[v].on_unified[c] = v;
                }
        }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        fuzz_quiet_logs();
        setup_hierarchy();
        host_meminfo = slurp_fixture("host/v2/meminfo");
        host_stat = slurp_fixture("host/v2-smp6/stat");
        host_diskstats = slurp_fixture("host/v1/diskstats");
        return 0;
}

static void render_memory(const struct cg_memory *m)
{
        _cleanup_strbuf_ struct strbuf out = STRBUF_INIT;
        struct meminfo_input in = { .host = host_meminfo, .mem = m, .use_swap = true };
        uint64_t total, used;

        (void) meminfo_render(&in, &out);
        meminfo_swap_kb(host_meminfo, m, true, &total, &used);
}

static void render_cpu(const struct cg_cpu_limits *l, const struct cg_cpu_usage *u)
{
        _cleanup_strbuf_ struct strbuf out = STRBUF_INIT;
        struct cpuset visible;
        struct stat_input in = { .host = host_stat, .visible = &visible, .usage = u,
                                 .elapsed_ticks = 1000, .hz = 100 };

        if (l && l->has_cpuset)
                visible = l->cpuset;
        else
                cpuset_parse("0-5", &visible);
        if (l && cg_quota_cpus(l) > 0)
                cpuset_keep_first(&visible, cg_quota_cpus(l));
        (void) stat_render(&in, &out);
}

static void run_reader(enum reader kind, const struct cg_reader *r)
{
        switch (kind) {
        case MEM: {
                struct cg_memory m;

                if (cg_memory_read(r, &m) == 0)
                        render_memory(&m);
                break;
        }
        case CPU_LIMITS: {
                struct cg_cpu_limits l;

                if (cg_cpu_limits_read(r, &l) == 0)
                        render_cpu(&l, NULL);
                break;
        }
        case CPU_USAGE: {
                struct cg_cpu_usage u;

                if (cg_cpu_usage_read(r, &u) == 0) {
                        render_cpu(NULL, &u);
                        cg_cpu_usage_done(&u);
                }
                break;
        }
        case IO: {
                _cleanup_strbuf_ struct strbuf out = STRBUF_INIT;
                struct cg_io_stats s;

                if (cg_io_stats_read(r, &s) == 0) {
                        struct diskstats_input in = { .host = host_diskstats, .io = &s };

                        (void) diskstats_render(&in, &out);
                        cg_io_stats_done(&s);
                }
                break;
        }
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_free_ char *text = fuzz_text(data, size);
        const char *name, *content;
        const struct file *f = NULL;
        char path[128], cgpath[8];
        struct cg_reader r = {};
        int v;

        if (fuzz_split_name(text, &name, &content) < 0)
                return 0;
        for (size_t i = 0; i < ELEMENTSOF(files); i++)
                if (streq(files[i].name, name))
                        f = &files[i];
        if (!f)
                return 0;
        v = f->name[1] == '2';
        snprintf(path, sizeof(path), "%s/%s", f->cgroup, f->name + 3);
        /* The whole input after the name line, NUL bytes included. */
        write_file(version_fd[v], path, content, size - (size_t) (content - text));

        snprintf(cgpath, sizeof(cgpath), "/%s", f->cgroup);
        r.h = &hier[v];
        for (int c = 0; c < _CG_CONTROLLER_MAX; c++)
                r.path[c] = cgpath;
        run_reader(f->reader, &r);

        write_file(version_fd[v], path, f->fallback_default, strlen(f->fallback_default));
        return 0;
}
