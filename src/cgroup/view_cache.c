/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Per-cgroup views for CG_VIEW_TTL_NS, keyed by the hierarchy and the
 * cgroup paths the view depends on, so every process of one container
 * shares one entry. A meminfo render reads 5 to 8 cgroup files (the limit
 * of every ancestor, usage, memory.stat, memsw); at thousands of opens per
 * second that is most of the daemon's work, for values that the kernel
 * itself only updates in batches. */

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "lxcfs/cgroup_cache.h"
#include "lxcfs/macro.h"

/* Three kinds of view per container, for the containers read within one
 * sweep interval. */
#define VIEW_CACHE_MAX 8192

enum view_kind { VIEW_MEMORY = 'm', VIEW_CPU_LIMITS = 'l', VIEW_CPU_USAGE = 'u' };

static struct ttl_cache *view_cache;

int cg_view_cache_enable(ttl_clock_t clock)
{
        if (view_cache)
                return 0;
        return ttl_cache_new(VIEW_CACHE_MAX, clock, &view_cache);
}

void cg_view_cache_disable(void)
{
        ttl_cache_free(steal_pointer(&view_cache));
}

/* kind, hierarchy pointer, then each controller's path with its NUL. */
static ssize_t view_key(enum view_kind kind, const struct cg_reader *r, const enum cg_controller *ctrls,
                        size_t n, char *buf, size_t size)
{
        size_t len = 1 + sizeof(r->h);

        buf[0] = (char) kind;
        memcpy(buf + 1, &r->h, sizeof(r->h));
        for (size_t i = 0; i < n; i++) {
                const char *p = r->path[ctrls[i]] ? r->path[ctrls[i]] : "";
                size_t pl = strlen(p) + 1;

                if (size - len < pl)
                        return -ENAMETOOLONG;
                memcpy(buf + len, p, pl);
                len += pl;
        }
        return (ssize_t) len;
}

/* Fixed-size views are stored as they are. */
static int fetch_memory(const void *key, size_t key_len, void *userdata, struct ttl_value **ret)
{
        struct cg_memory m;
        struct ttl_value *v;
        int e;

        e = cg_memory_read(userdata, &m);
        if (e < 0)
                return e;
        v = ttl_value_new(sizeof(m));
        if (!v)
                return -ENOMEM;
        memcpy(v->data, &m, sizeof(m));
        *ret = v;
        return 0;
}

static int fetch_cpu_limits(const void *key, size_t key_len, void *userdata, struct ttl_value **ret)
{
        struct cg_cpu_limits l;
        struct ttl_value *v;
        int e;

        e = cg_cpu_limits_read(userdata, &l);
        if (e < 0)
                return e;
        v = ttl_value_new(sizeof(l));
        if (!v)
                return -ENOMEM;
        memcpy(v->data, &l, sizeof(l));
        *ret = v;
        return 0;
}

/* The usage header, then n_percpu user and n_percpu system times. */
static int fetch_cpu_usage(const void *key, size_t key_len, void *userdata, struct ttl_value **ret)
{
        _cleanup_(cg_cpu_usage_done) struct cg_cpu_usage u = {};
        struct cg_cpu_usage *head;
        struct ttl_value *v;
        size_t arr;
        int e;

        e = cg_cpu_usage_read(userdata, &u);
        if (e < 0)
                return e;
        arr = (size_t) u.n_percpu * sizeof(uint64_t);
        v = ttl_value_new(sizeof(u) + 2 * arr);
        if (!v)
                return -ENOMEM;
        head = (struct cg_cpu_usage *) v->data;
        *head = (struct cg_cpu_usage) { .user_ns = u.user_ns, .system_ns = u.system_ns,
                                        .n_percpu = u.n_percpu };
        if (arr > 0) {
                memcpy(v->data + sizeof(u), u.percpu_user_ns, arr);
                memcpy(v->data + sizeof(u) + arr, u.percpu_system_ns, arr);
        }
        *ret = v;
        return 0;
}

static int get_view(enum view_kind kind, const struct cg_reader *r, const enum cg_controller *ctrls,
                    size_t n, ttl_fetch_t fetch, struct ttl_value **ret)
{
        char key[2 * PATH_MAX];
        ssize_t len;

        len = view_key(kind, r, ctrls, n, key, sizeof(key));
        if (len < 0)
                return fetch(NULL, 0, (void *) r, ret); /* too long to key: uncached */
        return ttl_cache_get(view_cache, key, (size_t) len, CG_VIEW_TTL_NS, fetch, (void *) r, ret);
}

int cg_memory_read_cached(const struct cg_reader *r, struct cg_memory *ret)
{
        static const enum cg_controller ctrls[] = { CG_MEMORY };
        _cleanup_ttl_value_ struct ttl_value *v = NULL;
        int e;

        if (!view_cache)
                return cg_memory_read(r, ret);
        e = get_view(VIEW_MEMORY, r, ctrls, ELEMENTSOF(ctrls), fetch_memory, &v);
        if (e < 0)
                return e;
        memcpy(ret, v->data, sizeof(*ret));
        return 0;
}

int cg_cpu_limits_read_cached(const struct cg_reader *r, struct cg_cpu_limits *ret)
{
        static const enum cg_controller ctrls[] = { CG_CPUSET, CG_CPU };
        _cleanup_ttl_value_ struct ttl_value *v = NULL;
        int e;

        if (!view_cache)
                return cg_cpu_limits_read(r, ret);
        e = get_view(VIEW_CPU_LIMITS, r, ctrls, ELEMENTSOF(ctrls), fetch_cpu_limits, &v);
        if (e < 0)
                return e;
        memcpy(ret, v->data, sizeof(*ret));
        return 0;
}

int cg_cpu_usage_read_cached(const struct cg_reader *r, struct cg_cpu_usage *ret)
{
        static const enum cg_controller ctrls[] = { CG_CPUACCT };
        _cleanup_ttl_value_ struct ttl_value *v = NULL;
        struct cg_cpu_usage u;
        size_t arr;
        int e;

        if (!view_cache)
                return cg_cpu_usage_read(r, ret);
        e = get_view(VIEW_CPU_USAGE, r, ctrls, ELEMENTSOF(ctrls), fetch_cpu_usage, &v);
        if (e < 0)
                return e;
        memcpy(&u, v->data, sizeof(u));
        arr = (size_t) u.n_percpu * sizeof(uint64_t);
        if (arr > 0) {
                u.percpu_user_ns = malloc(arr);
                u.percpu_system_ns = malloc(arr);
                if (!u.percpu_user_ns || !u.percpu_system_ns) {
                        cg_cpu_usage_done(&u);
                        return -ENOMEM;
                }
                memcpy(u.percpu_user_ns, v->data + sizeof(u), arr);
                memcpy(u.percpu_system_ns, v->data + sizeof(u) + arr, arr);
        }
        *ret = u;
        return 0;
}
