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

#include "cgroup-internal.h"
#include "lxcfs/cgroup_cache.h"
#include "lxcfs/macro.h"

/* Readers active within one TTL, at ~100 bytes each. */
#define READER_CACHE_MAX 4096

int cg_reader_cache_new(ttl_clock_t clock, struct ttl_cache **ret)
{
        return ttl_cache_new(READER_CACHE_MAX, clock, ret);
}

struct reader_key {
        const struct cg_hierarchies *h;
        pid_t pid;
};

/* The record of a reader, in one immutable value: the cg_reader, the
 * keys of its views, then the strings both point to. Opens take a
 * reference to it; nothing is copied or serialised per open. */
struct record {
        struct cg_reader reader;
        struct cg_keys keys;
};

static size_t record_size(const struct cg_reader *r, const size_t key_len[_CG_KEY_MAX])
{
        size_t len = sizeof(struct record);

        for (int c = 0; c < _CG_CONTROLLER_MAX; c++)
                len += r->path[c] ? strlen(r->path[c]) + 1 : 0;
        for (int k = 0; k < _CG_KEY_MAX; k++)
                len += key_len[k];
        return len;
}

static int record_new(const struct cg_reader *r, struct ttl_value **ret)
{
        size_t key_len[_CG_KEY_MAX];
        struct ttl_value *v;
        struct record *rec;
        char *p;

        for (int k = 0; k < _CG_KEY_MAX; k++)
                key_len[k] = cg_key_build(r, k, NULL, 0);
        v = ttl_value_new(record_size(r, key_len));
        if (!v)
                return -ENOMEM;
        rec = (struct record *) (void *) v->data;
        p = v->data + sizeof(*rec);
        rec->reader.h = r->h;
        for (int c = 0; c < _CG_CONTROLLER_MAX; c++)
                if (r->path[c]) {
                        rec->reader.path[c] = p;
                        p = stpcpy(p, r->path[c]) + 1;
                }
        for (int k = 0; k < _CG_KEY_MAX; k++) {
                (void) cg_key_build(&rec->reader, k, p, key_len[k]);
                rec->keys.key[k].data = p;
                rec->keys.key[k].len = key_len[k];
                p += key_len[k];
        }
        rec->reader.keys = &rec->keys;
        *ret = v;
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
        e = record_new(&r, ret);
        cg_reader_done(&r);
        return e;
}

int cg_reader_load_cached(const struct cg_caches *c, const struct cg_hierarchies *h, pid_t pid,
                          struct ttl_value **ret)
{
        struct reader_key key;

        memset(&key, 0, sizeof(key)); /* padding is part of the key */
        key.h = h;
        key.pid = pid;
        if (!c || !c->reader)
                return fetch_reader(&key, sizeof(key), NULL, ret);
        return ttl_cache_get(c->reader, &key, sizeof(key), CG_READER_TTL_NS, fetch_reader, NULL, ret);
}
