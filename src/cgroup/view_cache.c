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

#include "cgroup-internal.h"
#include "lxcfs/cgroup_cache.h"
#include "lxcfs/macro.h"

/* Three kinds of view per container, for the containers read within one
 * sweep interval. */
#define VIEW_CACHE_MAX 8192

int cg_view_cache_new(ttl_clock_t clock, struct ttl_cache **ret)
{
        return ttl_cache_new(VIEW_CACHE_MAX, clock, ret);
}

int cg_caches_init(struct cg_caches *c, ttl_clock_t clock)
{
        int r;

        *c = (struct cg_caches) {};
        r = cg_reader_cache_new(clock, &c->reader);
        if (r >= 0)
                r = cg_view_cache_new(clock, &c->view);
        if (r >= 0)
                r = cg_level_cache_new(clock, &c->level);
        if (r < 0)
                cg_caches_done(c);
        return r;
}

void cg_caches_done(struct cg_caches *c)
{
        ttl_cache_free(steal_pointer(&c->reader));
        ttl_cache_free(steal_pointer(&c->view));
        ttl_cache_free(steal_pointer(&c->level));
}

/* What a fetch needs besides the key: the reader, and the level cache its
 * ancestors' limit files go through. */
struct view_source {
        const struct cg_reader *reader;
        struct ttl_cache *levels;
};

/* Which controllers each kind of key names, and a tag that keeps the
 * kinds apart in one cache. */
static const struct {
        char tag;
        unsigned n;
        enum cg_controller ctrls[_CG_CONTROLLER_MAX];
} key_kinds[_CG_KEY_MAX] = {
        [CG_KEY_ALL]        = { 'a', 6, { CG_MEMORY, CG_CPU, CG_CPUACCT, CG_CPUSET, CG_BLKIO, CG_PIDS } },
        [CG_KEY_MEMORY]     = { 'm', 1, { CG_MEMORY } },
        [CG_KEY_CPU_LIMITS] = { 'l', 2, { CG_CPUSET, CG_CPU } },
        [CG_KEY_CPU_USAGE]  = { 'u', 1, { CG_CPUACCT } },
};
_Static_assert(_CG_CONTROLLER_MAX == 6, "CG_KEY_ALL names every controller");

static void put(char *buf, size_t size, size_t *len, const void *p, size_t n)
{
        if (*len + n <= size)
                memcpy(buf + *len, p, n);
        *len += n;
}

/* tag, hierarchy pointer, then each controller's path with its NUL. */
size_t cg_key_build(const struct cg_reader *r, enum cg_key_kind k, char *buf, size_t size)
{
        size_t len = 0;

        put(buf, size, &len, &key_kinds[k].tag, 1);
        put(buf, size, &len, &r->h, sizeof(r->h));
        for (unsigned i = 0; i < key_kinds[k].n; i++) {
                const char *p = r->path[key_kinds[k].ctrls[i]];

                p = p ? p : "";
                put(buf, size, &len, p, strlen(p) + 1);
        }
        return len;
}

int cg_key_of(const struct cg_reader *r, enum cg_key_kind k, char *buf, size_t size,
              const void **ret, size_t *ret_len)
{
        size_t len;

        if ((unsigned) k >= _CG_KEY_MAX)
                return -EINVAL;
        if (r->keys) {
                *ret = r->keys->key[k].data;
                *ret_len = r->keys->key[k].len;
                return 0;
        }
        len = cg_key_build(r, k, buf, size);
        if (len > size)
                return -ENAMETOOLONG;
        *ret = buf;
        *ret_len = len;
        return 0;
}

/* Fixed-size views are stored as they are. */
static int fetch_memory(const void *key, size_t key_len, void *userdata, struct ttl_value **ret)
{
        const struct view_source *src = userdata;
        struct ttl_value *v = ttl_value_new(sizeof(struct cg_memory));
        int e;

        if (!v)
                return -ENOMEM;
        e = cg_memory_read_levels(src->reader, src->levels, (struct cg_memory *) (void *) v->data);
        if (e < 0) {
                ttl_value_unref(v);
                return e;
        }
        *ret = v;
        return 0;
}

static int fetch_cpu_limits(const void *key, size_t key_len, void *userdata, struct ttl_value **ret)
{
        const struct view_source *src = userdata;
        struct ttl_value *v = ttl_value_new(sizeof(struct cg_cpu_limits));
        int e;

        if (!v)
                return -ENOMEM;
        e = cg_cpu_limits_read_levels(src->reader, src->levels, (struct cg_cpu_limits *) (void *) v->data);
        if (e < 0) {
                ttl_value_unref(v);
                return e;
        }
        *ret = v;
        return 0;
}

/* The usage header, then n_percpu user and n_percpu system times, which
 * the header's pointers point to. */
static int fetch_cpu_usage(const void *key, size_t key_len, void *userdata, struct ttl_value **ret)
{
        _cleanup_(cg_cpu_usage_done) struct cg_cpu_usage u = {};
        const struct view_source *src = userdata;
        struct cg_cpu_usage *head;
        struct ttl_value *v;
        size_t arr;
        int e;

        e = cg_cpu_usage_read(src->reader, &u);
        if (e < 0)
                return e;
        arr = (size_t) u.n_percpu * sizeof(uint64_t);
        v = ttl_value_new(sizeof(u) + 2 * arr);
        if (!v)
                return -ENOMEM;
        head = (struct cg_cpu_usage *) (void *) v->data;
        *head = (struct cg_cpu_usage) { .user_ns = u.user_ns, .system_ns = u.system_ns,
                                        .n_percpu = u.n_percpu };
        if (arr > 0) {
                head->percpu_user_ns = (uint64_t *) (void *) (v->data + sizeof(u));
                head->percpu_system_ns = (uint64_t *) (void *) (v->data + sizeof(u) + arr);
                memcpy(head->percpu_user_ns, u.percpu_user_ns, arr);
                memcpy(head->percpu_system_ns, u.percpu_system_ns, arr);
        }
        *ret = v;
        return 0;
}

/* Uncached (cache off, or paths too long to key): built for this caller. */
static int get_view(const struct cg_caches *c, enum cg_key_kind kind, const struct cg_reader *r,
                    ttl_fetch_t fetch, struct ttl_value **ret)
{
        struct view_source src = { .reader = r, .levels = c ? c->level : NULL };
        char buf[2 * PATH_MAX];
        const void *key;
        size_t len;

        if (!c || !c->view || cg_key_of(r, kind, buf, sizeof(buf), &key, &len) < 0)
                return fetch(NULL, 0, &src, ret);
        return ttl_cache_get(c->view, key, len, CG_VIEW_TTL_NS, fetch, &src, ret);
}

int cg_memory_read_cached(const struct cg_caches *c, const struct cg_reader *r, struct ttl_value **ret)
{
        return get_view(c, CG_KEY_MEMORY, r, fetch_memory, ret);
}

int cg_cpu_limits_read_cached(const struct cg_caches *c, const struct cg_reader *r, struct ttl_value **ret)
{
        return get_view(c, CG_KEY_CPU_LIMITS, r, fetch_cpu_limits, ret);
}

int cg_cpu_usage_read_cached(const struct cg_caches *c, const struct cg_reader *r, struct ttl_value **ret)
{
        return get_view(c, CG_KEY_CPU_USAGE, r, fetch_cpu_usage, ret);
}
