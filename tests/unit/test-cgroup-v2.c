/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The cgroup view on a cgroup2 host, from file texts captured in a Debian 12
 * VM running systemd (tests/fixtures/cgroup/v2, made by capture-v2.sh):
 * lxcfsfix.slice (512M, 128M swap, 1.5 CPUs) holding lxcfsfix-limited.service
 * (256M, 32M swap, 0.5 CPU, CPU 1) and lxcfsfix-inherit.service (no limits of
 * its own), plus system.slice/lxcfsfix-scope.scope (64M, only memory and pids
 * enabled). Directories *.service without a "lxcfsfix-" prefix are
 * hand-damaged copies for the error paths. */

#include <errno.h>
#include <string.h>

#include "lxcfs/cgroup.h"
#include "tap.h"
#include "test-cgroup-util.h"

#define TREE "cgroup/v2"

static void reader_at(const struct cg_hierarchies *h, const char *path, struct cg_reader *r)
{
        char text[512];

        snprintf(text, sizeof(text), "0::%s\n", path);
        tap_ok(cg_reader_parse(h, text, r) == 0, "parse reader in %s", path);
}

static void test_layout(const struct cg_hierarchies *h)
{
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;

        tap_ok(h->layout == CG_LAYOUT_V2, "layout is %s", cg_layout_name(h->layout));
        for (int c = 0; c < _CG_CONTROLLER_MAX; c++)
                tap_ok(cg_has_controller(h, c) && h->on_unified[c] && h->v1_fd[c] < 0,
                       "%s is on cgroup2", cg_controller_name(c));
        cg_hierarchies_describe(h, &sb);
        tap_streq(sb.data, "memory cpu cpuacct cpuset blkio pids (v2)", "describe");
}

static void test_limited(const struct cg_hierarchies *h)
{
        struct cg_reader r;

        load_reader(h, TREE "/proc-cgroup.lxcfsfix-limited.service", &r);
        for (int c = 0; c < _CG_CONTROLLER_MAX; c++)
                tap_streq(r.path[c], "/lxcfsfix.slice/lxcfsfix-limited.service", cg_controller_name(c));
        check_memory(&r, 0,
                     "limit=268435456 usage=14131200 swap_limit=33554432 swap_usage=0 "
                     "anon=13451264 file=90112 shmem=0 mapped=0 dirty=0 writeback=0 active_anon=8192 "
                     "inactive_anon=13430784 active_file=81920 inactive_file=8192 unevictable=0 slab=94616 "
                     "slab_reclaimable=7368 slab_unreclaimable=87248 kernel_stack=49152 pagetables=172032 "
                     "swapcached=0",
                     "memory of the limited service");
        check_cpu_limits(&r, 0, "cpuset=1 quota=50000/100000 cpus=1", "cpu limits of the limited service");
        check_cpu_usage(&r, 0, "user=960296000 system=4968242000 percpu=[]", "cpu.stat of the limited service");
        check_io(&r, 0, "254:0 rbytes=942080 wbytes=4194304 rios=16 wios=64 dbytes=0 dios=0 rtime=0 wtime=0",
                 "io.stat of the limited service");
        cg_reader_done(&r);
}

static void test_inherit(const struct cg_hierarchies *h)
{
        struct cg_reader r;

        /* memory.max "max" here: usage and stat come from the slice. */
        load_reader(h, TREE "/proc-cgroup.lxcfsfix-inherit.service", &r);
        check_memory(&r, 0,
                     "limit=536870912 usage=13328384 swap_limit=134217728 swap_usage=0 "
                     "anon=12509184 file=245760 shmem=0 mapped=94208 dirty=0 writeback=0 active_anon=12288 "
                     "inactive_anon=12460032 active_file=159744 inactive_file=86016 unevictable=0 slab=120984 "
                     "slab_reclaimable=18024 slab_unreclaimable=102960 kernel_stack=49152 pagetables=204800 "
                     "swapcached=0",
                     "memory of the inheriting service comes from the slice");
        check_cpu_limits(&r, 0, "cpuset=0-1 quota=150000/100000 cpus=2", "cpu limits of the slice");
        cg_reader_done(&r);
}

static void test_scope(const struct cg_hierarchies *h)
{
        struct cg_reader r;

        /* Only memory and pids are enabled for the scope: no cpu.max, no
         * cpuset.* and no io.stat of its own. */
        load_reader(h, TREE "/proc-cgroup.lxcfsfix-scope.scope", &r);
        check_memory(&r, 0,
                     "limit=67108864 usage=188416 swap_limit=none swap_usage=0 "
                     "anon=110592 file=0 shmem=0 mapped=0 dirty=0 writeback=0 active_anon=4096 "
                     "inactive_anon=106496 active_file=0 inactive_file=0 unevictable=0 slab=12896 "
                     "slab_reclaimable=0 slab_unreclaimable=12896 kernel_stack=0 pagetables=36864 "
                     "swapcached=0",
                     "memory of the scope");
        check_cpu_limits(&r, 0, "cpuset=0-1 quota=none cpus=0", "scope: cpuset of system.slice, no quota");
        check_cpu_usage(&r, 0, "user=67067000 system=33533000 percpu=[]", "cpu.stat exists without the cpu controller");
        check_io(&r, -ENOENT, NULL, "no io.stat without the io controller: -ENOENT");
        cg_reader_done(&r);
}

static void test_root(const struct cg_hierarchies *h)
{
        struct cg_reader r;

        reader_at(h, "/", &r);
        tap_ok(cg_reader_is_root(&r, CG_MEMORY), "root reader is root");
        check_memory(&r, -ENOENT, NULL, "the v2 root has no memory.current: -ENOENT");
        check_cpu_limits(&r, 0, "cpuset=0-1 quota=none cpus=0", "root: all CPUs, no quota");
        check_cpu_usage(&r, 0, "user=12512000000 system=32488000000 percpu=[]", "root cpu.stat");
        /* Idle loop devices ("7:0 " without keys) are left out. */
        check_io(&r, 0, "254:0 rbytes=44614656 wbytes=40996864 rios=1048 wios=215 dbytes=0 dios=0 rtime=0 wtime=0",
                 "root io.stat");
        cg_reader_done(&r);
}

static void test_damaged(const struct cg_hierarchies *h)
{
        struct cg_reader r;

        reader_at(h, "/lxcfsfix.slice/garbage.service", &r);
        check_memory(&r, -EINVAL, NULL, "memory.max 'lots' is -EINVAL");
        check_cpu_limits(&r, -EINVAL, NULL, "cpu.max without period is -EINVAL");
        check_cpu_usage(&r, -EINVAL, NULL, "cpu.stat without user_usec is -EINVAL");
        check_io(&r, -EINVAL, NULL, "io.stat 'rbytes=x' is -EINVAL");
        cg_reader_done(&r);

        reader_at(h, "/lxcfsfix.slice/badstat.service", &r);
        check_memory(&r, -EINVAL, NULL, "memory.stat 'anon 13451264kB' is -EINVAL");
        cg_reader_done(&r);

        /* No memory.swap.* (swapaccount=0) and keys missing from memory.stat. */
        reader_at(h, "/lxcfsfix.slice/nostat.service", &r);
        check_memory(&r, 0,
                     "limit=268435456 usage=14131200 swap_limit=134217728 swap_usage=? "
                     "anon=13451264 file=90112 shmem=0 mapped=0 dirty=- writeback=0 active_anon=8192 "
                     "inactive_anon=13430784 active_file=81920 inactive_file=8192 unevictable=0 slab=- "
                     "slab_reclaimable=- slab_unreclaimable=- kernel_stack=- pagetables=- swapcached=-",
                     "missing memory.stat keys and swap files");
        cg_reader_done(&r);

        /* Memory not enabled for this cgroup: the slice accounts for it. */
        reader_at(h, "/lxcfsfix.slice/nomem.service", &r);
        check_memory(&r, 0,
                     "limit=536870912 usage=13328384 swap_limit=134217728 swap_usage=0 "
                     "anon=12509184 file=245760 shmem=0 mapped=94208 dirty=0 writeback=0 active_anon=12288 "
                     "inactive_anon=12460032 active_file=159744 inactive_file=86016 unevictable=0 slab=120984 "
                     "slab_reclaimable=18024 slab_unreclaimable=102960 kernel_stack=49152 pagetables=204800 "
                     "swapcached=0",
                     "memory controller off for the leaf: the slice's view");
        cg_reader_done(&r);

        reader_at(h, "/lxcfsfix.slice/gone.service", &r);
        check_memory(&r, -ENOENT, NULL, "vanished cgroup: memory -ENOENT");
        check_cpu_usage(&r, -ENOENT, NULL, "vanished cgroup: cpu usage -ENOENT");
        check_io(&r, -ENOENT, NULL, "vanished cgroup: io -ENOENT");
        cg_reader_done(&r);

        tap_ok(cg_reader_parse(h, "0::/../../lxcfsfix.slice\n", &r) == 0, "parse '/../..'");
        tap_ok(!r.path[CG_MEMORY] && cg_reader_is_root(&r, CG_MEMORY), "outside our namespace: unknown");
        check_memory(&r, -ENOENT, NULL, "outside reader: memory -ENOENT");
        check_io(&r, -ENOENT, NULL, "outside reader: io -ENOENT");
        cg_reader_done(&r);
}

int main(void)
{
        struct cg_hierarchies h;

        if (open_tree(&h, TREE, "mountinfo") < 0) {
                printf("Bail out! cannot open the v2 fixture tree\n");
                return 1;
        }
        test_layout(&h);
        test_limited(&h);
        test_inherit(&h);
        test_scope(&h);
        test_root(&h);
        test_damaged(&h);
        cg_hierarchies_close(&h);
        return tap_done();
}
