/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Per-container load average. A background thread samples, every
 * LOADAVG_INTERVAL_SEC, the cgroups that were read recently and folds the
 * number of runnable + uninterruptible tasks into the kernel's fixed-point
 * exponential averages (FSHIFT 11, EXP_1/EXP_5/EXP_15). */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "lxcfs/cgroup.h"

#define LOADAVG_INTERVAL_SEC 5
/* At most this many cgroups are sampled; registering one more forgets the
 * one read least recently. Bounds the memory and the work of a pass when a
 * container creates cgroups without end. */
#define LOADAVG_MAX_CGROUPS 4096

/* Tasks of a cgroup subtree, counted now. */
struct task_counts {
        unsigned running;         /* R */
        unsigned uninterruptible; /* D */
        unsigned total;           /* all threads */
        pid_t last_pid;           /* highest pid (thread id) in the subtree, 0 if unknown */
};

/* Count tasks of the cgroup subtree whose directory is dirfd. On v1, the
 * states come from taskstats (CGROUPSTATS, one netlink request per cgroup
 * on a socket kept per thread); on cgroup2, or when taskstats is not
 * usable, from /proc/TID/stat, one small read per thread. `v1` is a hint:
 * the file system type of dirfd decides. -ENOENT when the cgroup was
 * removed. Known gap: taskstats files a task in a killable D sleep (e.g. a
 * vfork() parent) under none of its counters, so v1 can count fewer D
 * tasks than /proc shows. */
int task_counts_read(int cgroup_dirfd, bool v1, struct task_counts *ret);

/* Convenience for a reader: counts of its cgroup (cpu hierarchy on v1,
 * else cpuacct, else pids; unified on v2). */
int task_counts_for_reader(const struct cg_reader *r, struct task_counts *ret);

struct loadavg_value {
        unsigned long avg[3];     /* fixed point, FSHIFT 11, like the kernel's avenrun */
        unsigned running;         /* runnable tasks now */
        unsigned uninterruptible; /* tasks in D now */
        unsigned total;           /* tasks now */
        pid_t last_pid;
};

struct loadavg_sampler;

int loadavg_sampler_new(const struct cg_hierarchies *cg, struct loadavg_sampler **ret);
/* Start the background thread. */
int loadavg_sampler_start(struct loadavg_sampler *s);
void loadavg_sampler_free(struct loadavg_sampler *s);

/* Current averages and task counts of the reader's cgroup. The first call
 * for a cgroup registers it for sampling: it counts now and seeds all three
 * averages with that R + D count, so a container read right after a daemon
 * restart does not show a load creeping up from 0 for 15 minutes. Later
 * calls return the values of the last pass (at most LOADAVG_INTERVAL_SEC
 * old) without I/O. Cgroups not read for 10 minutes, or removed, are
 * dropped; past LOADAVG_MAX_CGROUPS the least recently read one is. No fd
 * is kept per cgroup: each pass opens the directory by path. -EINVAL for a
 * reader in the root cgroup (serve the host's file: sampling "/" would walk
 * every cgroup of the host). */
int loadavg_sampler_get(struct loadavg_sampler *s, const struct cg_reader *r,
                        struct loadavg_value *ret);
