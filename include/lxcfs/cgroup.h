/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The reader -> cgroup view. Everything above this header sees effective
 * limits and usage; whether they came from cgroup v1 or v2 files is
 * decided here and nowhere else. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "lxcfs/cpuset.h"

enum cg_layout {
        CG_LAYOUT_NONE,   /* no cgroup filesystem found */
        CG_LAYOUT_V1,     /* only v1 hierarchies */
        CG_LAYOUT_HYBRID, /* v1 controllers plus a (controller-less or partial) cgroup2 */
        CG_LAYOUT_V2,     /* unified only */
};

enum cg_controller {
        CG_MEMORY,
        CG_CPU,     /* v1 cpu (cfs quota); v2 cpu.max / cpu.stat */
        CG_CPUACCT, /* v1 cpuacct; v2 cpu.stat */
        CG_CPUSET,
        CG_BLKIO,   /* v1 blkio; v2 io */
        CG_PIDS,
        _CG_CONTROLLER_MAX,
};

const char *cg_layout_name(enum cg_layout l);        /* "v1", "hybrid", "v2", "none" */
const char *cg_controller_name(enum cg_controller c); /* v1 name: "memory", "cpu", ... */

/* Where each controller lives. Opened once at start; read-only afterwards,
 * so it is shared by all request threads without locking. */
struct cg_hierarchies {
        enum cg_layout layout;
        int unified_fd;                     /* cgroup2 mount root, or -1 */
        int v1_fd[_CG_CONTROLLER_MAX];      /* v1 mount root per controller, or -1 */
        bool on_unified[_CG_CONTROLLER_MAX];/* served by cgroup2: listed in its root
                                             * cgroup.controllers and not bound to v1 */
};

/* Detect the layout from a mountinfo text. `prefix` is prepended to every
 * mount point before opening it ("" on a live system, a fixture directory
 * in tests). -ENOENT (layout NONE) when no usable cgroup mount was found;
 * mounts that cannot be opened are skipped with a warning. */
int cg_hierarchies_open(struct cg_hierarchies *h, const char *mountinfo, const char *prefix);
/* Convenience: /proc/self/mountinfo, no prefix. */
int cg_hierarchies_open_live(struct cg_hierarchies *h);
void cg_hierarchies_close(struct cg_hierarchies *h);
/* Human list of controllers in use, e.g. "memory cpu cpuacct cpuset blkio pids (v1)". */
void cg_hierarchies_describe(const struct cg_hierarchies *h, struct strbuf *out);
bool cg_has_controller(const struct cg_hierarchies *h, enum cg_controller c);

/* Which cgroup a reader is in, per controller. Paths are relative to the
 * hierarchy root and start with '/' ("/" is the root cgroup). A path holding
 * "." or ".." components (a reader outside our cgroup namespace shows up as
 * "/../..") is never resolved: that controller's path stays NULL (unknown). */
struct cg_keys;

struct cg_reader {
        const struct cg_hierarchies *h;
        char *path[_CG_CONTROLLER_MAX];
        /* Set in the records of the reader cache (cgroup_cache.h), whose
         * paths and keys live in the record itself; NULL otherwise. */
        const struct cg_keys *keys;
};

/* Parse /proc/PID/cgroup text. Controllers that are missing stay NULL.
 * -EINVAL for a line that is not "ID:CONTROLLERS:PATH". */
int cg_reader_parse(const struct cg_hierarchies *h, const char *proc_pid_cgroup, struct cg_reader *ret);
/* Read and parse /proc/PID/cgroup; -ESRCH when the pid is gone. */
int cg_reader_load(const struct cg_hierarchies *h, pid_t pid, struct cg_reader *ret);
void cg_reader_done(struct cg_reader *r);
/* True when the reader sits in the root cgroup of controller c (or c is
 * absent, or the reader's path is unknown): callers show the host's values. */
bool cg_reader_is_root(const struct cg_reader *r, enum cg_controller c);

/* ---- memory ---- */

enum cg_memstat_field {
        MEMSTAT_ANON,            /* v1 total_rss,           v2 anon */
        MEMSTAT_FILE,            /* v1 total_cache,         v2 file (includes shmem) */
        MEMSTAT_SHMEM,           /* v1 total_shmem,         v2 shmem */
        MEMSTAT_MAPPED,          /* v1 total_mapped_file,   v2 file_mapped */
        MEMSTAT_DIRTY,           /* v1 total_dirty,         v2 file_dirty */
        MEMSTAT_WRITEBACK,       /* v1 total_writeback,     v2 file_writeback */
        MEMSTAT_ACTIVE_ANON,
        MEMSTAT_INACTIVE_ANON,
        MEMSTAT_ACTIVE_FILE,
        MEMSTAT_INACTIVE_FILE,
        MEMSTAT_UNEVICTABLE,
        MEMSTAT_SLAB,            /* v2 slab (v1: absent) */
        MEMSTAT_SLAB_RECLAIMABLE,
        MEMSTAT_SLAB_UNRECLAIMABLE,
        MEMSTAT_KERNEL_STACK,    /* v2 kernel_stack, bytes */
        MEMSTAT_PAGETABLES,      /* v2 pagetables */
        MEMSTAT_SWAPCACHED,      /* v1 total_swapcached, v2 swapcached */
        _MEMSTAT_MAX,
};

struct cg_memory {
        bool limited;            /* a limit was found on the reader's cgroup or an ancestor */
        uint64_t limit;          /* bytes; UINT64_MAX when not limited */
        uint64_t usage;          /* bytes, of the cgroup that holds the limit */
        bool swap_limited;       /* memsw (v1) or memory.swap.max (v2) below "max" */
        uint64_t swap_limit;     /* bytes of swap allowed (v1: memsw limit - mem limit) */
        bool swap_usage_known;
        uint64_t swap_usage;     /* bytes of swap in use */
        uint64_t stat[_MEMSTAT_MAX]; /* bytes */
        uint32_t stat_present;   /* bit i set when stat[i] was read */
};

static inline bool cg_memstat_has(const struct cg_memory *m, enum cg_memstat_field f)
{
        return (m->stat_present >> f) & 1;
}

/* Effective memory view of the reader. -ENOENT when the controller is not
 * available, the path is unknown, the cgroup is gone, or (v2) the reader is
 * in the root cgroup, which has no memory.current; -EINVAL for malformed
 * files; other -errno for unreadable ones. */
int cg_memory_read(const struct cg_reader *r, struct cg_memory *ret);

/* ---- cpu ---- */

struct cg_cpu_limits {
        bool has_cpuset;         /* the reader's cpuset could be read */
        struct cpuset cpuset;    /* effective CPUs */
        bool has_quota;          /* a CFS quota is set on the cgroup or an ancestor */
        uint64_t quota_us;       /* of the tightest quota/period on the chain */
        uint64_t period_us;
};

/* Missing cpu or cpuset controllers are not errors: that part is simply
 * unlimited (has_* false). -ENOENT for a vanished cgroup, -EINVAL for
 * malformed files. */
int cg_cpu_limits_read(const struct cg_reader *r, struct cg_cpu_limits *ret);

/* ceil(quota/period), at least 1; 0 when there is no quota. */
unsigned cg_quota_cpus(const struct cg_cpu_limits *l);

struct cg_cpu_usage {
        uint64_t user_ns;
        uint64_t system_ns;
        /* Per-CPU split where the kernel provides one (v1 cpuacct.usage_all);
         * n_percpu == 0 otherwise. Index = CPU id. */
        unsigned n_percpu;
        uint64_t *percpu_user_ns;
        uint64_t *percpu_system_ns;
};

/* Free with cg_cpu_usage_done() after success. */
int cg_cpu_usage_read(const struct cg_reader *r, struct cg_cpu_usage *ret);
void cg_cpu_usage_done(struct cg_cpu_usage *u);

/* ---- block I/O ---- */

struct cg_io_device {
        unsigned major, minor;
        uint64_t rbytes, wbytes, rios, wios, dbytes, dios;
        uint64_t rtime_ns, wtime_ns; /* v1 io_service_time when available, else 0 */
};

struct cg_io_stats {
        size_t n;
        struct cg_io_device *dev;
};

/* Devices with activity only. -ENOENT without the controller, or on v2 when
 * io is not enabled for the reader's cgroup (no io.stat). Free with
 * cg_io_stats_done() after success. */
int cg_io_stats_read(const struct cg_reader *r, struct cg_io_stats *ret);
void cg_io_stats_done(struct cg_io_stats *s);

/* ---- tasks ---- */

/* Directory fd (O_RDONLY|O_DIRECTORY, caller closes) of the reader's cgroup
 * in the hierarchy of c (for the task counter and the loadavg sampler).
 * -ENOENT if c is unavailable, the path unknown or the cgroup gone. */
int cg_reader_open_dir(const struct cg_reader *r, enum cg_controller c);
/* Where the reader's cgroup of controller c lives: the hierarchy root fd
 * (owned by the hierarchies, open while they are) and the path relative to
 * it, without leading '/' ("" for the root cgroup). -ENOENT when the
 * controller is unavailable or the reader's path unknown. The loadavg
 * sampler keeps the pair and opens the cgroup on each pass. */
int cg_locate(const struct cg_reader *r, enum cg_controller c, int *ret_fd, const char **ret_rel);

/* The text of the reader's cgroup file `name` in the hierarchy of c, for
 * files shown as the kernel writes them (v1 memory.kmem.slabinfo, v2
 * cpu.pressure). `unified` says which version the file belongs to.
 * -ENOENT when c is not served by that version, the reader's path is
 * unknown or the root cgroup, or the file does not exist. Caller frees. */
int cg_reader_file(const struct cg_reader *r, enum cg_controller c, bool unified, const char *name,
                   char **ret);
