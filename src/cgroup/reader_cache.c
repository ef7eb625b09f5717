/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pid -> the cgroups /proc/PID/cgroup names, for CG_READER_TTL_NS.
 * `cat` opens a file once, but tools like top, free and vmstat open several
 * files per refresh and long-running readers poll: each of those opens
 * would re-read and re-parse /proc/PID/cgroup. The FUSE request carries
 * the caller's thread id, so a multi-threaded reader has one entry per
 * thread. Pid reuse within the TTL needs the whole pid space to wrap in
 * that time; moves are covered by the TTL (see cgroup_cache.h). */

#include <errno.h>
#include <string.h>

#include "lxcfs/cgroup_cache.h"
#include "lxcfs/macro.h"

/* Readers active within one TTL, at ~100 bytes each. */
#define READER_CACHE_MAX 4096

static struct ttl_cache *reader_cache;

int cg_reader_cache_enable(ttl_clock_t clock)
{
        if (reader_cache)
                return 0;
        return ttl_cache_new(READER_CACHE_MAX, clock, &reader_cache);
}

void cg_reader_cache_disable(void)
{
        ttl_cache_free(steal_pointer(&reader_cache));
}

struct reader_key {
        const struct cg_hierarchies *h;
        pid_t pid;
};

/* The paths one after the other, each NUL-terminated; an empty string for
 * a controller whose path is unknown (real paths start with '/'). */
static int serialize(const struct cg_reader *r, struct ttl_value **ret)
{
        struct ttl_value *v;
        size_t len = 0;
        char *p;

        for (int c = 0; c < _CG_CONTROLLER_MAX; c++)
                len += (r->path[c] ? strlen(r->path[c]) : 0) + 1;
        v = ttl_value_new(len);
        if (!v)
                return -ENOMEM;
        p = v->data;
        for (int c = 0; c < _CG_CONTROLLER_MAX; c++)
                p = stpcpy(p, r->path[c] ? r->path[c] : "") + 1;
        *ret = v;
        return 0;
}

static int deserialize(const struct cg_hierarchies *h, const struct ttl_value *v, struct cg_reader *ret)
{
        struct cg_reader r = { .h = h };
        const char *p = v->data;

        for (int c = 0; c < _CG_CONTROLLER_MAX; c++) {
                size_t n = strlen(p);

                if (n > 0) {
                        r.path[c] = strndup(p, n);
                        if (!r.path[c]) {
                                cg_reader_done(&r);
                                return -ENOMEM;
                        }
                }
                p += n + 1;
        }
        *ret = r;
        return 0;
}

static int fetch_reader(const void *key, size_t key_len, void *userdata, struct ttl_value **ret)
{
        const struct reader_key *k = key;
        struct cg_reader r;
        int e;

        e = cg_reader_load(k->h, k->pid, &r);
        if (e < 0)
                return e;
        e = serialize(&r, ret);
        cg_reader_done(&r);
        return e;
}

int cg_reader_load_cached(const struct cg_hierarchies *h, pid_t pid, struct cg_reader *ret)
{
        _cleanup_ttl_value_ struct ttl_value *v = NULL;
        struct reader_key key;
        int e;

        if (!reader_cache)
                return cg_reader_load(h, pid, ret);
        memset(&key, 0, sizeof(key)); /* padding is part of the key */
        key.h = h;
        key.pid = pid;
        e = ttl_cache_get(reader_cache, &key, sizeof(key), CG_READER_TTL_NS, fetch_reader, NULL, &v);
        if (e < 0)
                return e;
        return deserialize(h, v, ret);
}

ssize_t cg_reader_key(const struct cg_reader *r, char *buf, size_t size)
{
        size_t len = sizeof(r->h);

        if (size < len)
                return -ENAMETOOLONG;
        memcpy(buf, &r->h, sizeof(r->h));
        for (int c = 0; c < _CG_CONTROLLER_MAX; c++) {
                const char *p = r->path[c] ? r->path[c] : "";
                size_t n = strlen(p) + 1;

                if (size - len < n)
                        return -ENAMETOOLONG;
                memcpy(buf + len, p, n);
                len += n;
        }
        return (ssize_t) len;
}
