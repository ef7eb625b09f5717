/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Per-process /proc text: /proc/PID/stat (starttime, ppid, state after the
 * last ')'), /proc/PID/status (NSpid), /proc/uptime and /proc/PID/cgroup
 * (against v1, hybrid and v2 layouts). Every parser gets every input. */

#include <assert.h>

#include "fuzz.h"
#include "loadavg-internal.h"
#include "lxcfs/cgroup.h"
#include "lxcfs/render.h"

static struct cg_hierarchies layouts[3];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        fuzz_quiet_logs();
        /* cg_reader_parse() only asks which controllers live where; the fd
         * numbers are never used, any non-negative value will do. */
        for (int l = 0; l < 3; l++) {
                layouts[l] = (struct cg_hierarchies) { .unified_fd = l > 0 ? 100 : -1 };
                for (int c = 0; c < _CG_CONTROLLER_MAX; c++) {
                        bool v1 = l == 0 || (l == 1 && c != CG_PIDS);

                        layouts[l].v1_fd[c] = v1 ? 101 + c : -1;
                        layouts[l].on_unified[c] = !v1;
                }
        }
        layouts[0].layout = CG_LAYOUT_V1;
        layouts[1].layout = CG_LAYOUT_HYBRID;
        layouts[2].layout = CG_LAYOUT_V2;
        return 0;
}

static void proc_cgroup(const char *text)
{
        for (int l = 0; l < 3; l++) {
                struct cg_reader r;

                if (cg_reader_parse(&layouts[l], text, &r) < 0)
                        continue;
                for (int c = 0; c < _CG_CONTROLLER_MAX; c++) {
                        (void) cg_reader_is_root(&r, c);
                        /* Only clean absolute paths come out. */
                        assert(!r.path[c] || (r.path[c][0] == '/' && !strstr(r.path[c], "/../")));
                }
                cg_reader_done(&r);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_free_ char *text = fuzz_text(data, size);
        uint64_t u;
        unsigned depth;
        pid_t pid;
        char state;

        (void) proc_stat_parse_starttime(text, &u);
        (void) proc_stat_parse_ppid(text, &pid);
        (void) proc_stat_state(text, size, &state);
        if (proc_status_parse_nspid(text, &depth, &pid) == 0)
                assert(depth > 0);
        (void) proc_uptime_parse_centisec(text, &u);
        proc_cgroup(text);
        return 0;
}
