/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Pieces of the loadavg area that unit tests call directly: the pure
 * parsers, the fixed-point step, the taskstats connection and the sampler
 * core with an injectable counter and clock. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lxcfs/loadavg.h"

/* Kernel avenrun fixed point (include/linux/sched/loadavg.h). */
#define LOADAVG_FSHIFT 11
#define LOADAVG_FIXED_1 (1UL << LOADAVG_FSHIFT)
#define LOADAVG_EXP_1 1884UL  /* 1/exp(5s/1min) */
#define LOADAVG_EXP_5 2014UL  /* 1/exp(5s/5min) */
#define LOADAVG_EXP_15 2037UL /* 1/exp(5s/15min) */

/* A cgroup that nobody read for this long stops being sampled. */
#define LOADAVG_IDLE_DROP_SEC (10 * 60)

/* One decay step, rounded like the kernel's calc_load(): `active` is
 * already scaled by FIXED_1; rounding up while the load grows makes a
 * constant count converge to it exactly instead of stopping below. */
unsigned long loadavg_calc(unsigned long load, unsigned long exp, unsigned long active);
/* Fold `nr_active` (R + D tasks) into the 1/5/15 minute averages. */
void loadavg_step(unsigned long avg[3], unsigned nr_active);
/* Averages as if `nr_active` had been constant forever. */
void loadavg_seed(unsigned long avg[3], unsigned nr_active);

/* ---- task lists and /proc/TID/stat ---- */

/* Next pid of a cgroup.procs / tasks / cgroup.threads text.
 * 1 with *ret set, 0 at the end, -EINVAL on a malformed line. */
int task_list_next(const char *text, size_t *pos, pid_t *ret);
/* Number of entries and the highest one. */
int task_list_summarize(const char *text, unsigned *ret_count, pid_t *ret_max);
/* The state letter of a /proc/TID/stat text, possibly truncated after the
 * state field. The command name may contain spaces and ')', so the state
 * follows the last ')'. -EINVAL when there is none. */
int proc_stat_state(const char *buf, size_t len, char *ret);

/* ---- taskstats (generic netlink "TASKSTATS" family) ---- */

struct taskstats_conn {
        int fd;
        uint16_t family;
        uint32_t seq;
};

int taskstats_conn_open(struct taskstats_conn *c);
void taskstats_conn_close(struct taskstats_conn *c);
/* The connection of the calling thread, opened on first use and closed
 * when the thread exits. The result of a failed open is remembered so a
 * kernel without taskstats costs one attempt per thread. */
int taskstats_conn_thread(struct taskstats_conn **ret);

struct cgroup_task_states {
        uint64_t running;
        uint64_t sleeping;
        uint64_t uninterruptible;
        uint64_t stopped;
        uint64_t io_wait;
};

/* CGROUPSTATS_CMD_GET for the v1 cgroup directory dirfd. The kernel counts
 * the tasks attached to that cgroup only, not its descendants. -EINVAL for
 * a directory that is not on a v1 cgroup file system (e.g. cgroup2). */
int taskstats_cgroup(struct taskstats_conn *c, int dirfd, struct cgroup_task_states *ret);

/* task_counts_read() with the taskstats path disabled: what v2 uses. */
int task_counts_read_proc(int cgroup_dirfd, bool v1, struct task_counts *ret);

/* ---- sampler core ---- */

struct loadavg_sampler_ops {
        /* Open the directory of a cgroup: `rel` below `base_fd` ("" is
         * base_fd itself); an fd or -errno (-ENOENT drops the cgroup). */
        int (*open_dir)(int base_fd, const char *rel, void *userdata);
        /* Count tasks of an opened cgroup; -ENOENT drops it. */
        int (*count)(int dirfd, bool v1, struct task_counts *ret, void *userdata);
        /* Monotonic microseconds, for the idle-drop decision. */
        uint64_t (*now_usec)(void *userdata);
        void *userdata;
        uint64_t interval_usec; /* wake-up period of the thread */
        uint64_t idle_usec;     /* drop after this long without a read */
        size_t max_cgroups;     /* LRU cap; 0 means LOADAVG_MAX_CGROUPS */
};

/* The real opener, counter, clock, periods and cap. */
extern const struct loadavg_sampler_ops loadavg_sampler_default_ops;

int loadavg_sampler_new_with(const struct loadavg_sampler_ops *ops, struct loadavg_sampler **ret);

/* loadavg_sampler_get() once the cgroup is known: `key` names it (and must
 * differ between hierarchies), `base_fd` + `rel` open it. base_fd must stay
 * open for the sampler's lifetime (a hierarchy root); it is not closed. */
int loadavg_sampler_get_key(struct loadavg_sampler *s, const char *key, int base_fd,
                            const char *rel, bool v1, struct loadavg_value *ret);

/* One sampling pass, as the thread runs it every interval. */
void loadavg_sampler_tick(struct loadavg_sampler *s);
/* Number of registered cgroups, of completed passes, and of cgroups
 * forgotten to stay under the cap. */
size_t loadavg_sampler_size(struct loadavg_sampler *s);
uint64_t loadavg_sampler_ticks(struct loadavg_sampler *s);
uint64_t loadavg_sampler_evictions(struct loadavg_sampler *s);
