/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Inputs of the generate() functions that many requests share: snapshots
 * of host files, and facts about readers and their cgroups that the
 * cgroup layer does not own, with the cgroup layer's caches (see
 * cgroup_cache.h). They live in the filesystem's state (struct lxcfs_fs),
 * which hands them to every render through the render context; a NULL
 * struct or cache is off: every call reads fresh.
 *
 * How old an answer may be:
 * - HOST_SHORT_TTL_NS (20 ms): /proc/meminfo, stat, diskstats, swaps,
 *   loadavg, uptime, slabinfo, the pressure files. Counters that tools turn into rates over seconds.
 * - HOST_LONG_TTL_NS (1 s): /proc/cpuinfo and cpu/online, which change
 *   with CPU hotplug only (cpuinfo's "cpu MHz" drifts, as it does between
 *   two reads of the kernel's own file).
 * - RENDER_PIDNS_TTL_NS (1 s): the start time of the init of a pid
 *   namespace, by namespace inode; the init of a namespace never changes
 *   while a reader lives in it, and an inode reused by a later namespace
 *   is seen for at most this long.
 * - RENDER_TASKS_TTL_NS (20 ms): running and blocked task counts of a
 *   reader's cgroups (procs_running/procs_blocked in stat) when no loadavg
 *   sampler runs; with one, its last pass (LOADAVG_INTERVAL_SEC). */

#include <stdint.h>
#include <sys/types.h>

#include "lxcfs/cgroup.h"
#include "lxcfs/cgroup_cache.h"
#include "lxcfs/loadavg.h"
#include "lxcfs/ttl_cache.h"

#define HOST_SHORT_TTL_NS (20 * NSEC_PER_MSEC)
#define HOST_LONG_TTL_NS (1000 * NSEC_PER_MSEC)
#define RENDER_PIDNS_TTL_NS (1000 * NSEC_PER_MSEC)
#define RENDER_TASKS_TTL_NS (20 * NSEC_PER_MSEC)

enum host_file {
        HOST_MEMINFO,
        HOST_STAT,
        HOST_CPUINFO,
        HOST_DISKSTATS,
        HOST_SWAPS,
        HOST_LOADAVG,
        HOST_UPTIME,
        HOST_CPU_ONLINE,
        HOST_SLABINFO,
        HOST_PRESSURE_CPU,
        HOST_PRESSURE_MEMORY,
        HOST_PRESSURE_IO,
        _HOST_FILE_MAX,
};

const char *host_file_path(enum host_file f);

struct render_caches {
        struct ttl_cache *host;    /* host files, by enum host_file */
        struct ttl_cache *pidns;   /* pid namespace init start times */
        struct ttl_cache *tasks;   /* task counts per reader's cgroups */
        struct cg_caches cg;
};

/* Every cache of the render and cgroup layers. clock NULL: the monotonic
 * clock. Set up before the request threads start, done after they
 * stopped. 0 or -ENOMEM (then none is set). */
int render_caches_init(struct render_caches *c, ttl_clock_t clock);
void render_caches_done(struct render_caches *c);

/* The cgroup layer's caches of c, or NULL when c is. */
static inline const struct cg_caches *render_cg_caches(const struct render_caches *c)
{
        return c ? &c->cg : NULL;
}

/* The text of a host file (data is NUL-terminated); the caller unrefs. */
int host_file_get(const struct render_caches *c, enum host_file f, struct ttl_value **ret);

/* pidns_age_ticks() and task_counts_for_reader(), through the caches;
 * task counts come from the sampler s when it is not NULL. */
int render_pidns_age_ticks(const struct render_caches *c, pid_t pid, unsigned hz, uint64_t *ret);
int render_task_counts(const struct render_caches *c, struct loadavg_sampler *s, const struct cg_reader *r,
                       struct task_counts *ret);
