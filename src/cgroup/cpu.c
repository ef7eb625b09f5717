/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The reader's CPU limits and CPU time.
 * v1: cpuset.effective_cpus (older kernels: cpuset.cpus) of the cgroup;
 *     cpu.cfs_quota_us (-1 = none) and cpu.cfs_period_us of the cgroup and
 *     each ancestor; cpuacct.usage_all ("cpu user system" then one line of
 *     nanoseconds per CPU), or cpuacct.stat (USER_HZ ticks) without it.
 * v2: cpuset.cpus.effective of the nearest cgroup that has it; cpu.max
 *     ("max 100000", "50000 100000") of the cgroup and each ancestor;
 *     cpu.stat usage_usec/user_usec/system_usec (no per-CPU split).
 * The quota that counts is the tightest quota/period ratio on the chain. */

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup-internal.h"
#include "lxcfs/macro.h"
#include "lxcfs/parse.h"

/* ---- cpuset ---- */

/* Walk up while the file is absent: on v2 a cgroup without the cpuset
 * controller runs on the CPUs of its nearest ancestor that has it. */
static int read_cpuset(int fd, const char *rel, const char *file, const char *fallback, struct cpuset *ret)
{
        char buf[CG_SMALL_FILE];
        size_t len = strlen(rel);
        ssize_t n;

        for (;;) {
                n = cg_read_level(fd, rel, len, file, buf, sizeof(buf));
                if (n == -ENOENT && fallback)
                        n = cg_read_level(fd, rel, len, fallback, buf, sizeof(buf));
                if (n != -ENOENT || len == 0)
                        break;
                len = cg_parent_len(rel, len);
        }
        if (n < 0)
                return (int) n;
        return cpuset_parse(buf, ret) < 0 ? -EINVAL : 0;
}

static int cpuset_limits(const struct cg_reader *r, struct cg_cpu_limits *l)
{
        const char *rel;
        int fd, k;

        k = cg_locate(r, CG_CPUSET, &fd, &rel);
        if (k == -ENOENT)
                return 0; /* no cpuset controller: not limited by one */
        if (k < 0)
                return k;
        if (cg_is_unified(r->h, CG_CPUSET))
                k = read_cpuset(fd, rel, "cpuset.cpus.effective", NULL, &l->cpuset);
        else
                k = read_cpuset(fd, rel, "cpuset.effective_cpus", "cpuset.cpus", &l->cpuset);
        if (k < 0)
                return k;
        /* A v1 cpuset nobody configured reads "": no restriction known. */
        l->has_cpuset = !cpuset_empty(&l->cpuset);
        return 0;
}

/* ---- CFS quota ---- */

/* Keep q/p when it is tighter than what l holds. */
static void keep_tighter(struct cg_cpu_limits *l, uint64_t quota, uint64_t period)
{
        if (period == 0)
                return;
        if (l->has_quota &&
            (unsigned __int128) quota * l->period_us >= (unsigned __int128) l->quota_us * period)
                return;
        l->has_quota = true;
        l->quota_us = quota;
        l->period_us = period;
}

static int quota_level_v1(struct ttl_cache *levels, int fd, const char *rel, size_t len, size_t leaf,
                          struct cg_cpu_limits *l)
{
        char buf[64];
        int64_t quota;
        uint64_t period;
        ssize_t n;
        int r;

        n = cg_read_chain(levels, fd, rel, len, leaf, "cpu.cfs_quota_us", buf, sizeof(buf));
        if (n < 0)
                return (int) n;
        r = parse_i64(buf, &quota);
        if (r < 0)
                return -EINVAL;
        if (quota < 0)
                return 0; /* -1: no quota here */
        r = cg_read_chain_u64(levels, fd, rel, len, leaf, "cpu.cfs_period_us", &period);
        if (r < 0)
                return r;
        if (period == UINT64_MAX)
                return -EINVAL;
        keep_tighter(l, (uint64_t) quota, period);
        return 0;
}

/* "max 100000" or "50000 100000". */
static int parse_cpu_max(const char *s, bool *ret_limited, uint64_t *ret_quota, uint64_t *ret_period)
{
        char word[32];
        const char *sp = strchr(s, ' ');
        size_t wl;
        int r;

        if (!sp)
                return -EINVAL;
        wl = (size_t) (sp - s);
        if (wl == 0 || wl >= sizeof(word))
                return -EINVAL;
        memcpy(word, s, wl);
        word[wl] = '\0';
        r = parse_u64(word, ret_quota);
        if (r < 0)
                return -EINVAL;
        r = parse_u64(sp + 1, ret_period);
        if (r < 0 || *ret_period == UINT64_MAX)
                return -EINVAL;
        *ret_limited = *ret_quota != UINT64_MAX;
        return 0;
}

static int quota_level_v2(struct ttl_cache *levels, int fd, const char *rel, size_t len, size_t leaf,
                          struct cg_cpu_limits *l)
{
        char buf[64];
        uint64_t quota, period;
        bool limited;
        ssize_t n;
        int r;

        n = cg_read_chain(levels, fd, rel, len, leaf, "cpu.max", buf, sizeof(buf));
        if (n == -ENOENT)
                return 0; /* cpu controller not enabled at this level */
        if (n < 0)
                return (int) n;
        r = parse_cpu_max(buf, &limited, &quota, &period);
        if (r < 0)
                return r;
        if (limited)
                keep_tighter(l, quota, period);
        return 0;
}

static int quota_limits(const struct cg_reader *r, struct ttl_cache *levels, struct cg_cpu_limits *l)
{
        bool v2 = cg_is_unified(r->h, CG_CPU);
        const char *rel;
        size_t leaf;
        int fd, k;

        k = cg_locate(r, CG_CPU, &fd, &rel);
        if (k == -ENOENT)
                return 0;
        if (k < 0)
                return k;
        leaf = strlen(rel);

        /* The root cgroup has no quota on either version. */
        for (size_t len = leaf; len > 0; len = cg_parent_len(rel, len)) {
                k = v2 ? quota_level_v2(levels, fd, rel, len, leaf, l) : quota_level_v1(levels, fd, rel, len, leaf, l);
                if (k < 0)
                        return k;
        }
        return 0;
}

int cg_cpu_limits_read_levels(const struct cg_reader *r, struct ttl_cache *levels, struct cg_cpu_limits *ret)
{
        struct cg_cpu_limits l = {};
        int k;

        k = cpuset_limits(r, &l);
        if (k < 0)
                return k;
        k = quota_limits(r, levels, &l);
        if (k < 0)
                return k;
        *ret = l;
        return 0;
}

int cg_cpu_limits_read(const struct cg_reader *r, struct cg_cpu_limits *ret)
{
        return cg_cpu_limits_read_levels(r, NULL, ret);
}

unsigned cg_quota_cpus(const struct cg_cpu_limits *l)
{
        uint64_t n;

        if (!l->has_quota || l->period_us == 0)
                return 0;
        n = l->quota_us / l->period_us + (l->quota_us % l->period_us != 0);
        if (n == 0)
                return 1;
        return n > UINT_MAX ? UINT_MAX : (unsigned) n;
}
