/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The limit files of ancestors, for CG_VIEW_TTL_NS. Every view walks up
 * its cgroup's chain (a memory limit or a CFS quota anywhere above binds
 * the container too), so with containers under one parent (/docker,
 * /kubepods/burstable/podX, system.slice) the parent's files were read
 * once per container per view; now once per TTL whatever the number of
 * containers below. The leaf's own files are read as before: its view is
 * cached already. */

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <string.h>

#include "cgroup-internal.h"
#include "lxcfs/cgroup_cache.h"
#include "lxcfs/fileio.h"
#include "lxcfs/macro.h"
#include "lxcfs/parse.h"

/* A few files per ancestor; the ancestors of the containers read within
 * one sweep interval. */
#define LEVEL_CACHE_MAX 4096

int cg_level_cache_new(ttl_clock_t clock, struct ttl_cache **ret)
{
        return ttl_cache_new(LEVEL_CACHE_MAX, clock, ret);
}

struct level_key {
        int fd;
        char path[PATH_MAX];
};

static int fetch_level(const void *key, size_t key_len, void *userdata, struct ttl_value **ret)
{
        const struct level_key *k = key;
        char buf[CG_SMALL_FILE];
        struct ttl_value *v;
        ssize_t n;

        n = read_file_into_at(k->fd, k->path, buf, sizeof(buf));
        if (n < 0)
                return (int) n;
        v = ttl_value_new((size_t) n);
        if (!v)
                return -ENOMEM;
        memcpy(v->data, buf, (size_t) n);
        *ret = v;
        return 0;
}

ssize_t cg_read_chain(struct ttl_cache *levels, int fd, const char *rel, size_t len, size_t leaf,
                      const char *file, char *buf, size_t size)
{
        _cleanup_ttl_value_ struct ttl_value *v = NULL;
        struct level_key key;
        size_t key_len;
        int r;

        if (!levels || len >= leaf)
                return cg_read_level(fd, rel, len, file, buf, size);
        key.fd = fd;
        r = cg_level_file(key.path, sizeof(key.path), rel, len, file);
        if (r < 0)
                return r;
        key_len = offsetof(struct level_key, path) + strlen(key.path) + 1;
        fileio_note(fd, key.path); /* a parse error names the file */
        r = ttl_cache_get(levels, &key, key_len, CG_VIEW_TTL_NS, fetch_level, NULL, &v);
        if (r < 0)
                return r;
        if (v->len >= size) {
                memcpy(buf, v->data, size - 1);
                buf[size - 1] = '\0';
                return -EFBIG;
        }
        memcpy(buf, v->data, v->len + 1);
        return (ssize_t) v->len;
}

int cg_read_chain_u64(struct ttl_cache *levels, int fd, const char *rel, size_t len, size_t leaf,
                      const char *file, uint64_t *ret)
{
        char buf[64];
        ssize_t n;

        n = cg_read_chain(levels, fd, rel, len, leaf, file, buf, sizeof(buf));
        if (n < 0)
                return (int) n;
        return parse_u64(buf, ret);
}
