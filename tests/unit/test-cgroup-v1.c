/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The cgroup view on a v1 host, from file texts captured on a real one
 * (tests/fixtures/cgroup/v1, made by capture-v1.sh), plus hand-damaged
 * copies of those files for the error paths. */

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lxcfs/cgroup.h"
#include "tap.h"
#include "test-cgroup-util.h"

#define TREE "cgroup/v1"

/* /proc/PID/cgroup of a process in /lxcfsfix/<leaf> for every controller. */
static void reader_in(const struct cg_hierarchies *h, const char *leaf, struct cg_reader *r)
{
        char text[1024];

        snprintf(text, sizeof(text),
                 "9:name=systemd:/\n8:pids:/\n7:blkio:/lxcfsfix/%1$s\n6:freezer:/\n5:devices:/\n"
                 "4:memory:/lxcfsfix/%1$s\n3:cpuset:/lxcfsfix/%1$s\n2:cpuacct:/lxcfsfix/%1$s\n"
                 "1:cpu:/lxcfsfix/%1$s\n0::/\n", leaf);
        tap_ok(cg_reader_parse(h, text, r) == 0, "parse reader in /lxcfsfix/%s", leaf);
}

static void test_layout(void)
{
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
        struct cg_hierarchies h;

        tap_ok(open_tree(&h, TREE, "mountinfo") == 0, "open hybrid-with-empty-cgroup2 tree");
        tap_ok(h.layout == CG_LAYOUT_HYBRID, "layout is %s (v1 controllers + empty cgroup2)", cg_layout_name(h.layout));
        for (int c = 0; c < _CG_CONTROLLER_MAX; c++)
                tap_ok(cg_has_controller(&h, c) && !h.on_unified[c], "%s is on v1", cg_controller_name(c));
        tap_ok(h.v1_fd[CG_CPU] != h.v1_fd[CG_CPUACCT], "cpu and cpuacct are separate hierarchies here");
        cg_hierarchies_describe(&h, &sb);
        tap_streq(sb.data, "memory cpu cpuacct cpuset blkio pids (hybrid)", "describe");
        cg_hierarchies_close(&h);
        tap_ok(h.unified_fd == -1 && h.v1_fd[CG_MEMORY] == -1, "close resets the fds");

        tap_ok(open_tree(&h, TREE, "mountinfo-v1only") == 0, "open v1-only tree");
        tap_ok(h.layout == CG_LAYOUT_V1 && h.unified_fd < 0, "layout is v1");
        cg_hierarchies_close(&h);
}

static void test_limited(const struct cg_hierarchies *h)
{
        struct cg_reader r;

        load_reader(h, TREE "/proc-cgroup.limited", &r);
        tap_streq(r.path[CG_MEMORY], "/lxcfsfix/limited", "memory path from the captured /proc/PID/cgroup");
        tap_ok(!cg_reader_is_root(&r, CG_MEMORY) && cg_reader_is_root(&r, CG_PIDS), "is_root per controller");

        /* Own limit 256M is the smallest; memsw 288M leaves 32M of swap. */
        check_memory(&r, 0,
                     "limit=268435456 usage=20533248 swap_limit=33554432 swap_usage=0 "
                     "anon=20250624 file=0 shmem=0 mapped=0 dirty=0 writeback=0 active_anon=4096 "
                     "inactive_anon=20246528 active_file=0 inactive_file=0 unevictable=0 slab=- "
                     "slab_reclaimable=- slab_unreclaimable=- kernel_stack=- pagetables=- swapcached=0",
                     "memory of /lxcfsfix/limited");
        /* 0.5 CPU beats the parent's 1.5. */
        check_cpu_limits(&r, 0, "cpuset=1 quota=50000/100000 cpus=1", "cpu limits of /lxcfsfix/limited");
        check_cpu_usage(&r, 0, "user=555901625 system=135900862 percpu=[0:0/0 1:555901625/135900862]",
                        "cpu usage of /lxcfsfix/limited");
        check_io(&r, 0, "254:0 rbytes=4194304 wbytes=4194304 rios=64 wios=64 dbytes=4198400 dios=8 rtime=0 wtime=0",
                 "io of /lxcfsfix/limited");
        cg_reader_done(&r);
}

static void test_inherit(const struct cg_hierarchies *h)
{
        struct cg_reader r;

        /* No limits of its own: everything comes from /lxcfsfix, including
         * usage (so siblings see the same numbers). */
        load_reader(h, TREE "/proc-cgroup.inherit", &r);
        check_memory(&r, 0,
                     "limit=536870912 usage=41439232 swap_limit=134217728 swap_usage=0 "
                     "anon=40517632 file=0 shmem=0 mapped=0 dirty=0 writeback=0 active_anon=8192 "
                     "inactive_anon=40509440 active_file=0 inactive_file=0 unevictable=0 slab=- "
                     "slab_reclaimable=- slab_unreclaimable=- kernel_stack=- pagetables=- swapcached=0",
                     "memory of /lxcfsfix/inherit comes from /lxcfsfix");
        check_cpu_limits(&r, 0, "cpuset=0-1 quota=150000/100000 cpus=2", "cpu limits of /lxcfsfix/inherit");
        check_cpu_usage(&r, 0, "user=587933452 system=140000000 percpu=[0:164000000/132000000 1:423933452/8000000]",
                        "cpu usage of /lxcfsfix/inherit");
        cg_reader_done(&r);
}

static void test_root(const struct cg_hierarchies *h)
{
        struct cg_reader r;

        tap_ok(cg_reader_parse(h, "4:memory:/\n1:cpu:/\n3:cpuset:/\n", &r) == 0, "parse root reader");
        tap_ok(cg_reader_is_root(&r, CG_MEMORY), "root reader is root");
        check_memory(&r, 0,
                     "limit=none usage=1101660160 swap_limit=none swap_usage=102400 "
                     "anon=124354560 file=977309696 shmem=9084928 mapped=22564864 dirty=8036352 writeback=0 "
                     "active_anon=1626112 inactive_anon=116875264 active_file=345849856 "
                     "inactive_file=622358528 unevictable=14807040 slab=- slab_reclaimable=- slab_unreclaimable=- "
                     "kernel_stack=- pagetables=- swapcached=0",
                     "root memory: no limit, host usage");
        check_cpu_limits(&r, 0, "cpuset=0-1 quota=none cpus=0", "root: no quota");
        cg_reader_done(&r);
}

static void test_damaged(const struct cg_hierarchies *h)
{
        struct cg_reader r;

        reader_in(h, "garbage", &r);
        check_memory(&r, -EINVAL, NULL, "memory.limit_in_bytes '268435456kB' is -EINVAL");
        check_cpu_limits(&r, -EINVAL, NULL, "cpu.cfs_quota_us 'fifty' is -EINVAL");
        check_cpu_usage(&r, -EINVAL, NULL, "cpuacct.usage_all without header is -EINVAL");
        check_io(&r, -EINVAL, NULL, "'254:0 Read lots' is -EINVAL");
        cg_reader_done(&r);

        reader_in(h, "badstat", &r);
        check_memory(&r, -EINVAL, NULL, "memory.stat 'total_rss -5' is -EINVAL");
        cg_reader_done(&r);

        /* Keys missing from memory.stat are reported absent, not zero; no
         * memsw files means swap accounting is off. */
        reader_in(h, "nostat", &r);
        check_memory(&r, 0,
                     "limit=268435456 usage=20533248 swap_limit=none swap_usage=? "
                     "anon=20250624 file=0 shmem=- mapped=0 dirty=- writeback=- active_anon=- "
                     "inactive_anon=- active_file=0 inactive_file=0 unevictable=0 slab=- "
                     "slab_reclaimable=- slab_unreclaimable=- kernel_stack=- pagetables=- swapcached=-",
                     "memory.stat with missing keys, no memsw files");
        cg_reader_done(&r);

        /* Pre-4.7 kernels: cpuacct.stat ticks; pre-cgroup-v2 cpuset: cpuset.cpus. */
        reader_in(h, "nousageall", &r);
        check_cpu_usage(&r, 0, "user=580000000 system=140000000 percpu=[]", "cpuacct.stat fallback (USER_HZ 100)");
        cg_reader_done(&r);
        reader_in(h, "noeffective", &r);
        free(r.path[CG_CPU]);
        r.path[CG_CPU] = strdup("/lxcfsfix/limited");
        check_cpu_limits(&r, 0, "cpuset=1 quota=50000/100000 cpus=1", "cpuset.cpus fallback");
        cg_reader_done(&r);

        /* Throttle counters idle (no throttle rule): bfq's are used. */
        reader_in(h, "bfqonly", &r);
        check_io(&r, 0, "254:0 rbytes=4194304 wbytes=4194304 rios=64 wios=64 dbytes=4198400 dios=8 rtime=0 wtime=0",
                 "bfq statistics when throttle ones are idle");
        cg_reader_done(&r);

        /* A cgroup removed between /proc/PID/cgroup and the read. */
        reader_in(h, "gone", &r);
        check_memory(&r, -ENOENT, NULL, "vanished cgroup: memory -ENOENT");
        check_cpu_limits(&r, -ENOENT, NULL, "vanished cgroup: cpu limits -ENOENT");
        check_cpu_usage(&r, -ENOENT, NULL, "vanished cgroup: cpu usage -ENOENT");
        check_io(&r, -ENOENT, NULL, "vanished cgroup: io -ENOENT");
        tap_ok(cg_reader_open_dir(&r, CG_MEMORY) == -ENOENT, "vanished cgroup: open_dir -ENOENT");
        cg_reader_done(&r);
}

static void test_outside_namespace(const struct cg_hierarchies *h)
{
        struct cg_reader r;
        int fd;

        /* A reader in a cgroup outside our cgroup namespace: never resolved
         * against the hierarchy (that would climb out of it). */
        tap_ok(cg_reader_parse(h, "4:memory:/../../lxcfsfix/limited\n1:cpu:/lxcfsfix/../..\n"
                                  "3:cpuset:/lxcfsfix/./limited\n", &r) == 0, "parse '/../..' paths");
        tap_ok(!r.path[CG_MEMORY] && !r.path[CG_CPU] && !r.path[CG_CPUSET], "such paths are unknown");
        tap_ok(cg_reader_is_root(&r, CG_MEMORY), "unknown counts as root");
        check_memory(&r, -ENOENT, NULL, "memory of an outside reader is -ENOENT");
        check_cpu_limits(&r, 0, "cpuset=none quota=none cpus=0", "no cpu limits for an outside reader");
        cg_reader_done(&r);

        tap_ok(cg_reader_parse(h, "4:memory:/lxcfsfix/limited/\n", &r) == 0, "parse trailing '/'");
        tap_streq(r.path[CG_MEMORY], "/lxcfsfix/limited", "trailing '/' dropped");
        fd = cg_reader_open_dir(&r, CG_MEMORY);
        tap_ok(fd >= 0, "open_dir of /lxcfsfix/limited");
        tap_ok(fd >= 0 && faccessat(fd, "memory.stat", F_OK, 0) == 0, "open_dir gives that directory");
        if (fd >= 0)
                close(fd);
        cg_reader_done(&r);

        tap_ok(cg_reader_parse(h, "garbage\n", &r) == -EINVAL, "garbage /proc/PID/cgroup is -EINVAL");
        tap_ok(cg_reader_parse(h, "", &r) == 0 && cg_reader_is_root(&r, CG_MEMORY), "empty text: no paths");
        tap_ok(cg_reader_load(h, INT_MAX, &r) == -ESRCH, "load of a pid that does not exist is -ESRCH");
}

static void test_missing_controller(void)
{
        _cleanup_free_ char *mountinfo = tap_fixture(TREE "/mountinfo-v1only");
        struct cg_hierarchies h;
        struct cg_reader r;
        char prefix[PATH_MAX];

        drop_lines_with(mountinfo, "rw,memory\n");
        drop_lines_with(mountinfo, "rw,blkio\n");
        snprintf(prefix, sizeof(prefix), "%s/%s", FIXTURES_DIR, TREE);
        tap_ok(cg_hierarchies_open(&h, mountinfo, prefix) == 0, "open without memory and blkio");
        tap_ok(!cg_has_controller(&h, CG_MEMORY) && !cg_has_controller(&h, CG_BLKIO), "memory, blkio absent");
        reader_in(&h, "limited", &r);
        tap_ok(!r.path[CG_MEMORY], "memory line ignored without the hierarchy");
        check_memory(&r, -ENOENT, NULL, "no memory controller: -ENOENT");
        check_io(&r, -ENOENT, NULL, "no blkio controller: -ENOENT");
        check_cpu_limits(&r, 0, "cpuset=1 quota=50000/100000 cpus=1", "cpu still works");
        tap_ok(cg_reader_open_dir(&r, CG_MEMORY) == -ENOENT, "open_dir without controller: -ENOENT");
        cg_reader_done(&r);
        cg_hierarchies_close(&h);

        tap_ok(cg_hierarchies_open(&h, "", prefix) == -ENOENT && h.layout == CG_LAYOUT_NONE,
               "no cgroup mounts: -ENOENT, layout none");
        cg_hierarchies_close(&h);
}

/* mountinfo as the kernel writes it, with what the parser must cope with:
 * an escaped space in a mount point, co-mounted controllers, a line that
 * does not parse, and a second hierarchy of a controller already found. */
static void test_mountinfo_text(void)
{
        char dir[] = "/tmp/lxcfs-test-cgmi.XXXXXX", path[PATH_MAX];
        struct cg_hierarchies h;
        const char *text;

        if (!mkdtemp(dir)) {
                tap_ok(false, "mkdtemp");
                return;
        }
        snprintf(path, sizeof(path), "%s/cg v1", dir);
        mkdir(path, 0755);
        snprintf(path, sizeof(path), "%s/cg v1/cpu,cpuacct", dir);
        mkdir(path, 0755);
        snprintf(path, sizeof(path), "%s/cg v1/memory", dir);
        mkdir(path, 0755);
        text = "30 1 0:27 / /cg\\040v1 rw - tmpfs tmpfs rw\n"
               "31 30 0:28 / /cg\\040v1/cpu,cpuacct rw shared:1 - cgroup cgroup rw,cpu,cpuacct\n"
               "this is not a mountinfo line\n"
               "32 30 0:29 / /cg\\040v1/memory rw - cgroup cgroup rw,memory\n"
               "33 30 0:30 / /cg\\040v1/nowhere rw - cgroup cgroup rw,memory\n";
        tap_ok(cg_hierarchies_open(&h, text, dir) == 0 && h.layout == CG_LAYOUT_V1,
               "mountinfo text with an escaped path and a bad line: v1");
        tap_ok(h.v1_fd[CG_CPU] >= 0 && h.v1_fd[CG_CPU] == h.v1_fd[CG_CPUACCT],
               "co-mounted cpu,cpuacct share one fd");
        tap_ok(h.v1_fd[CG_MEMORY] >= 0 && h.v1_fd[CG_MEMORY] != h.v1_fd[CG_CPU],
               "memory from its own mount, the first one listed");
        tap_ok(!cg_has_controller(&h, CG_BLKIO) && !cg_has_controller(&h, CG_CPUSET),
               "controllers not mounted are absent");
        cg_hierarchies_close(&h);
        for (const char *const *sub = (const char *const[]) { "/cg v1/cpu,cpuacct", "/cg v1/memory",
                                                              "/cg v1", "", NULL }; *sub; sub++) {
                snprintf(path, sizeof(path), "%s%s", dir, *sub);
                rmdir(path);
        }
}

int main(void)
{
        struct cg_hierarchies h;

        test_layout();
        if (open_tree(&h, TREE, "mountinfo") < 0) {
                printf("Bail out! cannot open the v1 fixture tree\n");
                return 1;
        }
        test_limited(&h);
        test_inherit(&h);
        test_root(&h);
        test_damaged(&h);
        test_outside_namespace(&h);
        cg_hierarchies_close(&h);
        test_missing_controller();
        test_mountinfo_text();
        return tap_done();
}
