/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared snapshots for the generate() functions (TTLs in render_cache.h).
 * Reading /proc/meminfo costs the kernel tens of microseconds, about as
 * much as a whole FUSE round trip; at thousands of opens per second one
 * snapshot per TTL serves them all. Snapshots are immutable and refcounted:
 * a request keeps the one it started with while a newer one is published. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lxcfs/cgroup_cache.h"
#include "lxcfs/fileio.h"
#include "lxcfs/render.h"
#include "lxcfs/render_cache.h"

static const struct {
        const char *path;
        uint64_t ttl;
} host_files[_HOST_FILE_MAX] = {
        [HOST_MEMINFO]    = { "/proc/meminfo",   HOST_SHORT_TTL_NS },
        [HOST_STAT]       = { "/proc/stat",      HOST_SHORT_TTL_NS },
        [HOST_CPUINFO]    = { "/proc/cpuinfo",   HOST_LONG_TTL_NS },
        [HOST_DISKSTATS]  = { "/proc/diskstats", HOST_SHORT_TTL_NS },
        [HOST_SWAPS]      = { "/proc/swaps",     HOST_SHORT_TTL_NS },
        [HOST_LOADAVG]    = { "/proc/loadavg",   HOST_SHORT_TTL_NS },
        [HOST_UPTIME]     = { "/proc/uptime",    HOST_SHORT_TTL_NS },
        [HOST_CPU_ONLINE] = { "/sys/devices/system/cpu/online", HOST_LONG_TTL_NS },
        [HOST_SLABINFO]   = { "/proc/slabinfo",  HOST_SHORT_TTL_NS },
        [HOST_PRESSURE_CPU]    = { "/proc/pressure/cpu",    HOST_SHORT_TTL_NS },
        [HOST_PRESSURE_MEMORY] = { "/proc/pressure/memory", HOST_SHORT_TTL_NS },
        [HOST_PRESSURE_IO]     = { "/proc/pressure/io",     HOST_SHORT_TTL_NS },
};

/* Pid namespaces read within one TTL; cgroups read within one sweep
 * interval. */
#define PIDNS_CACHE_MAX 4096
#define TASKS_CACHE_MAX 4096

const char *host_file_path(enum host_file f)
{
        return (unsigned) f < _HOST_FILE_MAX ? host_files[f].path : NULL;
}

void render_caches_done(struct render_caches *c)
{
        ttl_cache_free(steal_pointer(&c->host));
        ttl_cache_free(steal_pointer(&c->pidns));
        ttl_cache_free(steal_pointer(&c->tasks));
        cg_caches_done(&c->cg);
}

int render_caches_init(struct render_caches *c, ttl_clock_t clock)
{
        int r;

        *c = (struct render_caches) {};
        r = ttl_cache_new(_HOST_FILE_MAX, clock, &c->host);
        if (r >= 0)
                r = ttl_cache_new(PIDNS_CACHE_MAX, clock, &c->pidns);
        if (r >= 0)
                r = ttl_cache_new(TASKS_CACHE_MAX, clock, &c->tasks);
        if (r >= 0)
                r = cg_caches_init(&c->cg, clock);
        if (r < 0)
                render_caches_done(c);
        return r;
}

/* The buffer the file was read into becomes the value: no copy. */
static int fetch_host_file(const void *key, size_t key_len, void *userdata, struct ttl_value **ret)
{
        char *text = NULL;
        size_t len;
        int r;

        r = read_file_at(AT_FDCWD, host_files[*(const enum host_file *) key].path, &text, &len);
        if (r < 0)
                return r;
        *ret = ttl_value_adopt(text, len);
        return *ret ? 0 : -ENOMEM;
}

int host_file_get(const struct render_caches *c, enum host_file f, struct ttl_value **ret)
{
        if ((unsigned) f >= _HOST_FILE_MAX)
                return -EINVAL;
        if (!c || !c->host)
                return fetch_host_file(&f, sizeof(f), NULL, ret);
        return ttl_cache_get(c->host, &f, sizeof(f), host_files[f].ttl, fetch_host_file, NULL, ret);
}

/* ---- pid namespace age ---- */

/* Clock ticks since boot of the init of a pid namespace; the key is the
 * namespace's inode, userdata a reader inside it. Every process of a
 * container shares one entry, whichever way it entered the namespace. */
static int fetch_pidns_start(const void *key, size_t key_len, void *userdata, struct ttl_value **ret)
{
        _cleanup_free_ char *text = NULL;
        struct ttl_value *v;
        char path[64];
        uint64_t start;
        pid_t init;
        int r;

        r = pidns_init_pid(*(const pid_t *) userdata, &init);
        if (r < 0)
                return r;
        snprintf(path, sizeof(path), "/proc/%d/stat", (int) init);
        r = read_file_at(AT_FDCWD, path, &text, NULL);
        if (r < 0)
                return r == -ENOENT ? -ESRCH : r;
        r = proc_stat_parse_starttime(text, &start);
        if (r < 0)
                return r;
        v = ttl_value_new(sizeof(start));
        if (!v)
                return -ENOMEM;
        memcpy(v->data, &start, sizeof(start));
        *ret = v;
        return 0;
}

/* /proc/uptime is CLOCK_BOOTTIME, and start times count from the same
 * origin: read the clock instead of the file. */
static uint64_t boottime_ticks(unsigned hz)
{
        struct timespec ts;

        clock_gettime(CLOCK_BOOTTIME, &ts);
        return (uint64_t) ts.tv_sec * hz + (uint64_t) ts.tv_nsec / (1000000000u / hz);
}

int render_pidns_age_ticks(const struct render_caches *c, pid_t pid, unsigned hz, uint64_t *ret)
{
        _cleanup_ttl_value_ struct ttl_value *v = NULL;
        uint64_t start, now, ino;
        int r;

        if (!c || !c->pidns || hz == 0 || hz > 1000000000u)
                return pidns_age_ticks(pid, hz, ret);
        r = pidns_inode(pid, &ino);
        if (r < 0)
                return r;
        r = ttl_cache_get(c->pidns, &ino, sizeof(ino), RENDER_PIDNS_TTL_NS, fetch_pidns_start, &pid, &v);
        if (r < 0)
                return r;
        memcpy(&start, v->data, sizeof(start));
        now = boottime_ticks(hz);
        *ret = now > start ? now - start : 0;
        return 0;
}

/* ---- task counts ---- */

static int fetch_task_counts(const void *key, size_t key_len, void *userdata, struct ttl_value **ret)
{
        struct task_counts t;
        struct ttl_value *v;
        int r;

        r = task_counts_for_reader(userdata, &t);
        if (r < 0)
                return r;
        v = ttl_value_new(sizeof(t));
        if (!v)
                return -ENOMEM;
        memcpy(v->data, &t, sizeof(t));
        *ret = v;
        return 0;
}

/* The sampler's last pass, when it runs: counting on every open would read
 * /proc/TID/stat for each thread of the subtree (v2). */
static int sampler_task_counts(struct loadavg_sampler *s, const struct cg_reader *r,
                               struct task_counts *ret)
{
        struct loadavg_value v;
        int k;

        k = loadavg_sampler_get(s, r, &v);
        if (k < 0)
                return k;
        *ret = (struct task_counts) { .running = v.running, .uninterruptible = v.uninterruptible,
                                      .total = v.total, .last_pid = v.last_pid };
        return 0;
}

int render_task_counts(const struct render_caches *c, struct loadavg_sampler *s, const struct cg_reader *r,
                       struct task_counts *ret)
{
        _cleanup_ttl_value_ struct ttl_value *v = NULL;
        char buf[4096];
        const void *key;
        size_t len;
        int k;

        if (s)
                return sampler_task_counts(s, r, ret);
        if (!c || !c->tasks || cg_key_of(r, CG_KEY_ALL, buf, sizeof(buf), &key, &len) < 0)
                return task_counts_for_reader(r, ret);
        k = ttl_cache_get(c->tasks, key, len, RENDER_TASKS_TTL_NS, fetch_task_counts, (void *) r, &v);
        if (k < 0)
                return k;
        memcpy(ret, v->data, sizeof(*ret));
        return 0;
}
