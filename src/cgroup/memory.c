/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The reader's memory view.
 * v1: memory.limit_in_bytes of the cgroup and each ancestor (>= 2^62, which
 *     includes the "unlimited" 9223372036854771712, means none); then, from
 *     the cgroup holding the smallest limit: memory.usage_in_bytes,
 *     memory.stat (total_* keys, hierarchical_memsw_limit),
 *     memory.memsw.limit_in_bytes and memory.memsw.usage_in_bytes (absent
 *     when swap accounting is off).
 * v2: memory.max and memory.swap.max of the cgroup and each ancestor (the
 *     root has neither); then, from the cgroup holding the smallest
 *     memory.max: memory.current, memory.stat, memory.swap.current.
 * Reading usage where the limit is set gives every process below it, e.g.
 * every container of a pod, the same numbers. The walk is one pass up. */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "cgroup-internal.h"
#include "lxcfs/macro.h"
#include "lxcfs/parse.h"

static const struct {
        const char *v1, *v2;
} memstat_keys[_MEMSTAT_MAX] = {
        [MEMSTAT_ANON]               = { "total_rss",           "anon" },
        [MEMSTAT_FILE]               = { "total_cache",         "file" },
        [MEMSTAT_SHMEM]              = { "total_shmem",         "shmem" },
        [MEMSTAT_MAPPED]             = { "total_mapped_file",   "file_mapped" },
        [MEMSTAT_DIRTY]              = { "total_dirty",         "file_dirty" },
        [MEMSTAT_WRITEBACK]          = { "total_writeback",     "file_writeback" },
        [MEMSTAT_ACTIVE_ANON]        = { "total_active_anon",   "active_anon" },
        [MEMSTAT_INACTIVE_ANON]      = { "total_inactive_anon", "inactive_anon" },
        [MEMSTAT_ACTIVE_FILE]        = { "total_active_file",   "active_file" },
        [MEMSTAT_INACTIVE_FILE]      = { "total_inactive_file", "inactive_file" },
        [MEMSTAT_UNEVICTABLE]        = { "total_unevictable",   "unevictable" },
        [MEMSTAT_SLAB]               = { NULL,                  "slab" },
        [MEMSTAT_SLAB_RECLAIMABLE]   = { NULL,                  "slab_reclaimable" },
        [MEMSTAT_SLAB_UNRECLAIMABLE] = { NULL,                  "slab_unreclaimable" },
        [MEMSTAT_KERNEL_STACK]       = { NULL,                  "kernel_stack" },
        [MEMSTAT_PAGETABLES]         = { NULL,                  "pagetables" },
        [MEMSTAT_SWAPCACHED]         = { "total_swapcached",    "swapcached" },
};

static bool v1_unlimited(uint64_t v)
{
        return v >= (UINT64_C(1) << 62);
}

static bool key_is(const char *key, size_t n, const char *want)
{
        return want && strlen(want) == n && memcmp(key, want, n) == 0;
}

/* One pass over memory.stat. A key we use with a malformed value fails the
 * whole read; keys we do not use are not looked at. */
static int parse_memstat(const char *text, bool v2, struct cg_memory *m, uint64_t *ret_hier_memsw)
{
        const char *line;
        size_t pos = 0, len;

        while ((line = next_line(text, &pos, &len))) {
                const char *key, *sp = memchr(line, ' ', len);
                size_t kl;
                uint64_t v;
                int f, r;

                if (!sp)
                        continue;
                kl = (size_t) (sp - line);
                for (f = 0; f < _MEMSTAT_MAX; f++)
                        if (key_is(line, kl, v2 ? memstat_keys[f].v2 : memstat_keys[f].v1))
                                break;
                if (f == _MEMSTAT_MAX && !(!v2 && key_is(line, kl, "hierarchical_memsw_limit")))
                        continue;

                r = cg_split_key_u64(line, len, &key, &kl, &v);
                if (r < 0)
                        return -EINVAL;
                if (f == _MEMSTAT_MAX) {
                        *ret_hier_memsw = v;
                        continue;
                }
                m->stat[f] = v;
                m->stat_present |= UINT32_C(1) << f;
        }
        return 0;
}

static int read_memstat(int fd, const char *rel, size_t len, bool v2, struct cg_memory *m, uint64_t *ret_hier_memsw)
{
        _cleanup_free_ char *heap = NULL;
        char path[PATH_MAX], buf[CG_SMALL_FILE];
        const char *text;
        int r;

        r = cg_level_file(path, sizeof(path), rel, len, "memory.stat");
        if (r < 0)
                return r;
        r = cg_read_text(fd, path, buf, sizeof(buf), &heap, &text);
        if (r < 0)
                return r;
        return parse_memstat(text, v2, m, ret_hier_memsw);
}

static void init_view(struct cg_memory *m)
{
        *m = (struct cg_memory) { .limit = UINT64_MAX, .swap_limit = UINT64_MAX };
}

/* An optional file (swap accounting may be off): absent is not an error. */
static int read_optional_u64(int fd, const char *rel, size_t len, const char *file, uint64_t *ret, bool *found)
{
        int r = cg_read_level_u64(fd, rel, len, file, ret);

        *found = r >= 0;
        return r == -ENOENT ? 0 : r;
}

static int memory_read_v1(struct ttl_cache *levels, int fd, const char *rel, struct cg_memory *m)
{
        size_t leaf = strlen(rel), holder = leaf;
        uint64_t v, memsw_limit = UINT64_MAX, hier_memsw = UINT64_MAX, memsw_usage;
        bool have_limit, have_usage;
        int r;

        /* The v1 root cannot be limited: stop below it. */
        for (size_t len = leaf; len > 0; len = cg_parent_len(rel, len)) {
                r = cg_read_chain_u64(levels, fd, rel, len, leaf, "memory.limit_in_bytes", &v);
                if (r < 0)
                        return r;
                if (!v1_unlimited(v) && v < m->limit) {
                        m->limit = v;
                        m->limited = true;
                        holder = len;
                }
        }

        r = cg_read_level_u64(fd, rel, holder, "memory.usage_in_bytes", &m->usage);
        if (r < 0)
                return r;
        r = read_memstat(fd, rel, holder, false, m, &hier_memsw);
        if (r < 0)
                return r;

        r = read_optional_u64(fd, rel, holder, "memory.memsw.limit_in_bytes", &memsw_limit, &have_limit);
        if (r < 0)
                return r;
        memsw_limit = MIN(memsw_limit, hier_memsw);
        if (!v1_unlimited(memsw_limit)) {
                uint64_t mem = m->limited ? m->limit : 0;

                m->swap_limited = true;
                m->swap_limit = memsw_limit > mem ? memsw_limit - mem : 0;
        }

        r = read_optional_u64(fd, rel, holder, "memory.memsw.usage_in_bytes", &memsw_usage, &have_usage);
        if (r < 0)
                return r;
        if (have_usage) {
                m->swap_usage_known = true;
                m->swap_usage = memsw_usage > m->usage ? memsw_usage - m->usage : 0;
        }
        return 0;
}

/* On v2 a cgroup whose parent does not enable the memory controller has no
 * memory.* files; tell that apart from a cgroup that is gone. */
static int level_exists(int fd, const char *rel, size_t len)
{
        char path[PATH_MAX];

        if ((size_t) snprintf(path, sizeof(path), "%.*s", (int) len, rel) >= sizeof(path))
                return -ENAMETOOLONG;
        return faccessat(fd, path, F_OK, 0) < 0 ? -errno : 0;
}

static int memory_read_v2(struct ttl_cache *levels, int fd, const char *rel, struct cg_memory *m)
{
        size_t leaf = strlen(rel), holder = 0;
        bool accounted = false, found;
        uint64_t v, hier_unused = UINT64_MAX;
        int r;

        for (size_t len = leaf; len > 0; len = cg_parent_len(rel, len)) {
                r = cg_read_chain_u64(levels, fd, rel, len, leaf, "memory.max", &v);
                if (r == -ENOENT) {
                        if (len == leaf) {
                                r = level_exists(fd, rel, len);
                                if (r < 0)
                                        return r;
                        }
                        continue;
                }
                if (r < 0)
                        return r;
                /* Controllers are enabled top-down: the first level found
                 * on the way up is the deepest accounted one. */
                if (!accounted) {
                        accounted = true;
                        holder = len;
                }
                if (v < m->limit) {
                        m->limit = v;
                        m->limited = true;
                        holder = len;
                }

                r = cg_read_chain_u64(levels, fd, rel, len, leaf, "memory.swap.max", &v);
                found = r >= 0;
                if (r < 0 && r != -ENOENT)
                        return r;
                if (found && v < m->swap_limit) {
                        m->swap_limit = v;
                        m->swap_limited = true;
                }
        }
        if (!accounted)
                return -ENOENT; /* the root, or memory not enabled on the way */

        r = cg_read_level_u64(fd, rel, holder, "memory.current", &m->usage);
        if (r < 0)
                return r;
        r = read_memstat(fd, rel, holder, true, m, &hier_unused);
        if (r < 0)
                return r;
        r = read_optional_u64(fd, rel, holder, "memory.swap.current", &m->swap_usage, &found);
        if (r < 0)
                return r;
        m->swap_usage_known = found;
        return 0;
}

int cg_memory_read_levels(const struct cg_reader *r, struct ttl_cache *levels, struct cg_memory *ret)
{
        struct cg_memory m;
        const char *rel;
        int fd, k;

        k = cg_locate(r, CG_MEMORY, &fd, &rel);
        if (k < 0)
                return k;
        init_view(&m);
        if (cg_is_unified(r->h, CG_MEMORY))
                k = memory_read_v2(levels, fd, rel, &m);
        else
                k = memory_read_v1(levels, fd, rel, &m);
        if (k < 0)
                return k;
        *ret = m;
        return 0;
}

int cg_memory_read(const struct cg_reader *r, struct cg_memory *ret)
{
        return cg_memory_read_levels(r, NULL, ret);
}
