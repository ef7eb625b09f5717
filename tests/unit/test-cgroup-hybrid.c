/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A hybrid host: memory, cpu, cpuacct and cpuset on v1, everything else from
 * cgroup2, whose root lists memory and cpu too (v1 must win for those).
 * tests/fixtures/cgroup/hybrid links the v1 hierarchies of the v1 capture and
 * the cgroup2 tree of the v2 capture under one mountinfo. */

#include <errno.h>
#include <string.h>

#include "lxcfs/cgroup.h"
#include "tap.h"
#include "test-cgroup-util.h"

#define TREE "cgroup/hybrid"

int main(void)
{
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
        struct cg_hierarchies h;
        struct cg_reader r;

        if (open_tree(&h, TREE, "mountinfo") < 0) {
                printf("Bail out! cannot open the hybrid fixture tree\n");
                return 1;
        }
        tap_ok(h.layout == CG_LAYOUT_HYBRID, "layout is %s", cg_layout_name(h.layout));
        tap_ok(h.v1_fd[CG_MEMORY] >= 0 && !h.on_unified[CG_MEMORY], "memory: v1 wins over cgroup2");
        tap_ok(h.v1_fd[CG_CPU] >= 0 && !h.on_unified[CG_CPU], "cpu: v1 wins over cgroup2");
        tap_ok(h.v1_fd[CG_BLKIO] < 0 && h.on_unified[CG_BLKIO], "blkio comes from cgroup2 io");
        tap_ok(h.v1_fd[CG_PIDS] < 0 && h.on_unified[CG_PIDS], "pids comes from cgroup2");
        cg_hierarchies_describe(&h, &sb);
        tap_streq(sb.data, "memory cpu cpuacct cpuset blkio(v2) pids(v2) (hybrid)", "describe");

        load_reader(&h, TREE "/proc-cgroup.limited", &r);
        tap_streq(r.path[CG_MEMORY], "/lxcfsfix/limited", "memory path from the v1 line");
        tap_streq(r.path[CG_BLKIO], "/lxcfsfix.slice/lxcfsfix-limited.service", "io path from the 0:: line");
        tap_streq(r.path[CG_PIDS], "/lxcfsfix.slice/lxcfsfix-limited.service", "pids path from the 0:: line");

        check_memory(&r, 0,
                     "limit=268435456 usage=20533248 swap_limit=33554432 swap_usage=0 "
                     "anon=20250624 file=0 shmem=0 mapped=0 dirty=0 writeback=0 active_anon=4096 "
                     "inactive_anon=20246528 active_file=0 inactive_file=0 unevictable=0 slab=- "
                     "slab_reclaimable=- slab_unreclaimable=- kernel_stack=- pagetables=- swapcached=0",
                     "memory read from v1 files");
        check_cpu_limits(&r, 0, "cpuset=1 quota=50000/100000 cpus=1", "cpu limits from v1 files");
        check_cpu_usage(&r, 0, "user=555901625 system=135900862 percpu=[0:0/0 1:555901625/135900862]",
                        "cpu usage from cpuacct.usage_all");
        check_io(&r, 0, "254:0 rbytes=942080 wbytes=4194304 rios=16 wios=64 dbytes=0 dios=0 rtime=0 wtime=0",
                 "io read from cgroup2 io.stat");

        {
                int fd = cg_reader_open_dir(&r, CG_PIDS);

                tap_ok(fd >= 0 && faccessat(fd, "pids.current", F_OK, 0) == 0, "open_dir(pids) is the cgroup2 dir");
                if (fd >= 0)
                        close(fd);
        }
        cg_reader_done(&r);

        /* A v2 "0::" line must not set the v1 controllers. */
        tap_ok(cg_reader_parse(&h, "0::/lxcfsfix.slice\n", &r) == 0, "parse a lone 0:: line");
        tap_ok(!r.path[CG_MEMORY] && !r.path[CG_CPU] && r.path[CG_BLKIO], "only cgroup2 controllers get it");
        cg_reader_done(&r);

        cg_hierarchies_close(&h);
        return tap_done();
}
