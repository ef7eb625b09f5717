/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "lxcfs/render.h"
#include "lxcfs/vfile.h"

/* Sorted by path. A new virtual file is one renderer file plus one row. */
const struct vfile vfile_table[] = {
        { "proc/cpuinfo", cpuinfo_generate },
        { "proc/diskstats", diskstats_generate },
        { "proc/loadavg", loadavg_generate },
        { "proc/meminfo", meminfo_generate },
        { "proc/stat", stat_generate },
        { "proc/swaps", swaps_generate },
        { "proc/uptime", uptime_generate },
        { "sys/devices/system/cpu/online", cpu_online_generate },
};

const size_t vfile_table_size = ELEMENTSOF(vfile_table);
