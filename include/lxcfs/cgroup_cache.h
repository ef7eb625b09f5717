/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Cached forms of the cgroup view, shared by the daemon's request threads.
 * The caches belong to whoever serves requests (the filesystem's state
 * holds them in its render_caches) and are passed to every *_cached()
 * call; a NULL cache (or a NULL struct) is off: the call reads fresh,
 * exactly like the plain function.
 *
 * How old an answer may be:
 * - CG_READER_TTL_NS (1 s): which cgroups a pid is in. Processes rarely
 *   move once they run: runtimes (runc, systemd) place a process in its
 *   cgroup before it execs the payload, and a pid is only reused after the
 *   pid space wrapped. A process that is moved while it keeps reading sees
 *   its old cgroup for at most this long.
 * - CG_VIEW_TTL_NS (20 ms): memory view, CPU limits and CPU usage of a
 *   cgroup path, shared by every process in that cgroup. Short enough that
 *   `free` or `top` run twice never notice; a cgroup that is removed drops
 *   out after one TTL (errors are never cached). The limit files of the
 *   ancestors a view walks through (memory limits, CFS quotas) are shared
 *   by every cgroup below them for the same TTL, so a view may combine its
 *   own files with an ancestor's limit read up to one TTL before.
 *
 * A request takes references, never copies: the reader's record (its
 * paths and the keys of its views, built once per /proc/PID/cgroup read)
 * and each view it needs. */

#include "lxcfs/cgroup.h"
#include "lxcfs/ttl_cache.h"

#define CG_READER_TTL_NS (1000 * NSEC_PER_MSEC)
#define CG_VIEW_TTL_NS (20 * NSEC_PER_MSEC)

struct cg_caches {
        struct ttl_cache *reader;  /* pid -> its cgroups (CG_READER_TTL_NS) */
        struct ttl_cache *view;    /* per-cgroup views (CG_VIEW_TTL_NS) */
        struct ttl_cache *level;   /* ancestors' limit files (CG_VIEW_TTL_NS) */
};

/* All three, sized for the daemon. clock NULL: the monotonic clock. 0 or
 * -ENOMEM (then none is set). Set up before the request threads start;
 * done after they stopped (it frees the caches). */
int cg_caches_init(struct cg_caches *c, ttl_clock_t clock);
void cg_caches_done(struct cg_caches *c);

/* Keys naming a reader's cgroups, for the caches of per-cgroup values:
 * the hierarchies and the path of every controller the value depends on. */
enum cg_key_kind {
        CG_KEY_ALL,        /* every controller: task counts */
        CG_KEY_MEMORY,     /* the memory view */
        CG_KEY_CPU_LIMITS, /* cpuset and cpu */
        CG_KEY_CPU_USAGE,  /* cpuacct */
        _CG_KEY_MAX,
};

struct cg_keys {
        struct {
                const char *data;
                size_t len;
        } key[_CG_KEY_MAX];
};

/* The key of kind k: r's own (r->keys, built once with the cached record)
 * or, for a reader parsed elsewhere, written into buf. -ENAMETOOLONG when
 * it does not fit. */
int cg_key_of(const struct cg_reader *r, enum cg_key_kind k, char *buf, size_t size,
              const void **ret, size_t *ret_len);

/* Every function below hands out a reference to an immutable value shared
 * with every other holder (the caller unrefs it, see ttl_cache.h) and
 * copies nothing; the cg_*_of() accessors give its typed contents. While a
 * cache is off, the value is built fresh for the caller alone. Same errors
 * as cg_reader_load(), cg_memory_read(), cg_cpu_limits_read() and
 * cg_cpu_usage_read(). */

/* The cgroups of pid, with their keys (cg_reader_of(v)->keys). */
int cg_reader_load_cached(const struct cg_caches *c, const struct cg_hierarchies *h, pid_t pid,
                          struct ttl_value **ret);
int cg_memory_read_cached(const struct cg_caches *c, const struct cg_reader *r, struct ttl_value **ret);
int cg_cpu_limits_read_cached(const struct cg_caches *c, const struct cg_reader *r, struct ttl_value **ret);
/* The per-CPU arrays live in the value. */
int cg_cpu_usage_read_cached(const struct cg_caches *c, const struct cg_reader *r, struct ttl_value **ret);

static inline const struct cg_reader *cg_reader_of(const struct ttl_value *v)
{
        return (const struct cg_reader *) (const void *) v->data;
}

static inline const struct cg_memory *cg_memory_of(const struct ttl_value *v)
{
        return (const struct cg_memory *) (const void *) v->data;
}

static inline const struct cg_cpu_limits *cg_cpu_limits_of(const struct ttl_value *v)
{
        return (const struct cg_cpu_limits *) (const void *) v->data;
}

static inline const struct cg_cpu_usage *cg_cpu_usage_of(const struct ttl_value *v)
{
        return (const struct cg_cpu_usage *) (const void *) v->data;
}
