/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Cached forms of the cgroup view, shared by the daemon's request threads.
 * Each cache is off until enabled (the daemon enables them at start, unit
 * tests of the uncached functions never do); while off, every *_cached()
 * call reads fresh, exactly like the plain function.
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
 *   out after one TTL (errors are never cached). */

#include "lxcfs/cgroup.h"
#include "lxcfs/ttl_cache.h"

#define CG_READER_TTL_NS (1000 * NSEC_PER_MSEC)
#define CG_VIEW_TTL_NS (20 * NSEC_PER_MSEC)

/* clock NULL: the monotonic clock. 0 or -ENOMEM. Call before the request
 * threads start; disable after they stopped (it frees the cache). */
int cg_reader_cache_enable(ttl_clock_t clock);
void cg_reader_cache_disable(void);
int cg_view_cache_enable(ttl_clock_t clock);
void cg_view_cache_disable(void);

/* Same contracts as cg_reader_load(), cg_memory_read(),
 * cg_cpu_limits_read() and cg_cpu_usage_read(). */
int cg_reader_load_cached(const struct cg_hierarchies *h, pid_t pid, struct cg_reader *ret);
int cg_memory_read_cached(const struct cg_reader *r, struct cg_memory *ret);
int cg_cpu_limits_read_cached(const struct cg_reader *r, struct cg_cpu_limits *ret);
int cg_cpu_usage_read_cached(const struct cg_reader *r, struct cg_cpu_usage *ret);

/* A key naming every cgroup of r (its hierarchies and paths), for caches
 * of per-cgroup values kept elsewhere. Writes at most size bytes; returns
 * the key length, or -ENAMETOOLONG. */
ssize_t cg_reader_key(const struct cg_reader *r, char *buf, size_t size);
