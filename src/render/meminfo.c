/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>

#include "lxcfs/cgroup_cache.h"
#include "lxcfs/fileio.h"
#include "lxcfs/log.h"
#include "lxcfs/parse.h"
#include "lxcfs/render.h"
#include "lxcfs/render_cache.h"

/* The lines replaced by the container's view; every other line keeps the
 * host value. */
enum mi_field {
        MI_MEM_TOTAL,
        MI_MEM_FREE,
        MI_MEM_AVAILABLE,
        MI_BUFFERS,
        MI_CACHED,
        MI_SWAP_CACHED,
        MI_ACTIVE,
        MI_INACTIVE,
        MI_ACTIVE_ANON,
        MI_INACTIVE_ANON,
        MI_ACTIVE_FILE,
        MI_INACTIVE_FILE,
        MI_UNEVICTABLE,
        MI_SWAP_TOTAL,
        MI_SWAP_FREE,
        MI_DIRTY,
        MI_WRITEBACK,
        MI_ANON_PAGES,
        MI_MAPPED,
        MI_SHMEM,
        MI_KRECLAIMABLE,
        MI_SLAB,
        MI_SRECLAIMABLE,
        MI_SUNRECLAIM,
        MI_KERNEL_STACK,
        MI_PAGE_TABLES,
        _MI_MAX,
};

static const char *const mi_key[_MI_MAX] = {
        [MI_MEM_TOTAL] = "MemTotal",
        [MI_MEM_FREE] = "MemFree",
        [MI_MEM_AVAILABLE] = "MemAvailable",
        [MI_BUFFERS] = "Buffers",
        [MI_CACHED] = "Cached",
        [MI_SWAP_CACHED] = "SwapCached",
        [MI_ACTIVE] = "Active",
        [MI_INACTIVE] = "Inactive",
        [MI_ACTIVE_ANON] = "Active(anon)",
        [MI_INACTIVE_ANON] = "Inactive(anon)",
        [MI_ACTIVE_FILE] = "Active(file)",
        [MI_INACTIVE_FILE] = "Inactive(file)",
        [MI_UNEVICTABLE] = "Unevictable",
        [MI_SWAP_TOTAL] = "SwapTotal",
        [MI_SWAP_FREE] = "SwapFree",
        [MI_DIRTY] = "Dirty",
        [MI_WRITEBACK] = "Writeback",
        [MI_ANON_PAGES] = "AnonPages",
        [MI_MAPPED] = "Mapped",
        [MI_SHMEM] = "Shmem",
        [MI_KRECLAIMABLE] = "KReclaimable",
        [MI_SLAB] = "Slab",
        [MI_SRECLAIMABLE] = "SReclaimable",
        [MI_SUNRECLAIM] = "SUnreclaim",
        [MI_KERNEL_STACK] = "KernelStack",
        [MI_PAGE_TABLES] = "PageTables",
};

static uint64_t stat_kb(const struct cg_memory *m, enum cg_memstat_field f)
{
        return cg_memstat_has(m, f) ? m->stat[f] / 1024 : 0;
}

static uint64_t sub0(uint64_t a, uint64_t b)
{
        return a > b ? a - b : 0;
}

void meminfo_swap_kb(const char *host, const struct cg_memory *mem, bool use_swap,
                     uint64_t *ret_total, uint64_t *ret_used)
{
        uint64_t host_total = 0, host_free = 0, total, used = 0;

        *ret_total = *ret_used = 0;
        if (!use_swap)
                return;
        (void) meminfo_kb(host, "SwapTotal", &host_total);
        if (!mem) {
                (void) meminfo_kb(host, "SwapFree", &host_free);
                *ret_total = host_total;
                *ret_used = sub0(host_total, host_free);
                return;
        }
        total = mem->swap_limited ? MIN(mem->swap_limit / 1024, host_total) : host_total;
        if (mem->swap_usage_known)
                used = MIN(mem->swap_usage / 1024, total);
        *ret_total = total;
        *ret_used = used;
}

/* v1 has no slab keys and older v2 kernels lack some: derive what can be
 * derived so that Slab = SReclaimable + SUnreclaim still holds. */
static void slab_kb(const struct cg_memory *m, uint64_t *slab, uint64_t *reclaimable,
                    uint64_t *unreclaimable)
{
        *reclaimable = stat_kb(m, MEMSTAT_SLAB_RECLAIMABLE);
        if (cg_memstat_has(m, MEMSTAT_SLAB_UNRECLAIMABLE))
                *unreclaimable = stat_kb(m, MEMSTAT_SLAB_UNRECLAIMABLE);
        else
                *unreclaimable = sub0(stat_kb(m, MEMSTAT_SLAB), *reclaimable);
        if (cg_memstat_has(m, MEMSTAT_SLAB))
                *slab = stat_kb(m, MEMSTAT_SLAB);
        else
                *slab = *reclaimable + *unreclaimable;
}

static void compute_view(const struct meminfo_input *in, uint64_t v[_MI_MAX])
{
        const struct cg_memory *m = in->mem;
        uint64_t host_total, total, free, swap_total, swap_used;

        if (meminfo_kb(in->host, "MemTotal", &host_total) < 0)
                host_total = UINT64_MAX;
        total = MIN(m->limit / 1024, host_total);
        free = sub0(total, m->usage / 1024);

        v[MI_MEM_TOTAL] = total;
        v[MI_MEM_FREE] = free;
        v[MI_BUFFERS] = 0;
        v[MI_SWAP_CACHED] = stat_kb(m, MEMSTAT_SWAPCACHED);
        /* Like the kernel, Cached counts all file pages (shmem included)
         * except those in the swap cache. */
        v[MI_CACHED] = sub0(stat_kb(m, MEMSTAT_FILE), v[MI_SWAP_CACHED]);
        v[MI_ACTIVE_ANON] = stat_kb(m, MEMSTAT_ACTIVE_ANON);
        v[MI_INACTIVE_ANON] = stat_kb(m, MEMSTAT_INACTIVE_ANON);
        v[MI_ACTIVE_FILE] = stat_kb(m, MEMSTAT_ACTIVE_FILE);
        v[MI_INACTIVE_FILE] = stat_kb(m, MEMSTAT_INACTIVE_FILE);
        v[MI_ACTIVE] = v[MI_ACTIVE_ANON] + v[MI_ACTIVE_FILE];
        v[MI_INACTIVE] = v[MI_INACTIVE_ANON] + v[MI_INACTIVE_FILE];
        v[MI_UNEVICTABLE] = stat_kb(m, MEMSTAT_UNEVICTABLE);
        v[MI_DIRTY] = stat_kb(m, MEMSTAT_DIRTY);
        v[MI_WRITEBACK] = stat_kb(m, MEMSTAT_WRITEBACK);
        v[MI_ANON_PAGES] = stat_kb(m, MEMSTAT_ANON);
        v[MI_MAPPED] = stat_kb(m, MEMSTAT_MAPPED);
        v[MI_SHMEM] = stat_kb(m, MEMSTAT_SHMEM);
        slab_kb(m, &v[MI_SLAB], &v[MI_SRECLAIMABLE], &v[MI_SUNRECLAIM]);
        v[MI_KRECLAIMABLE] = v[MI_SRECLAIMABLE];
        v[MI_KERNEL_STACK] = stat_kb(m, MEMSTAT_KERNEL_STACK);
        v[MI_PAGE_TABLES] = stat_kb(m, MEMSTAT_PAGETABLES);
        /* Shmem sits on the anon LRU lists, so it is not counted here: a
         * tmpfs file cannot be reclaimed without swap. */
        v[MI_MEM_AVAILABLE] = MIN(free + v[MI_ACTIVE_FILE] + v[MI_INACTIVE_FILE] +
                                  v[MI_SRECLAIMABLE], total);

        meminfo_swap_kb(in->host, m, in->use_swap, &swap_total, &swap_used);
        v[MI_SWAP_TOTAL] = swap_total;
        v[MI_SWAP_FREE] = swap_total - swap_used;
}

static int field_of_key(const char *key, size_t len)
{
        for (int f = 0; f < _MI_MAX; f++)
                if (strlen(mi_key[f]) == len && memcmp(mi_key[f], key, len) == 0)
                        return f;
        return -1;
}

int meminfo_render(const struct meminfo_input *in, struct strbuf *out)
{
        uint64_t v[_MI_MAX];
        const char *line;
        size_t pos = 0, len;

        if (!in->mem || !in->mem->limited) {
                strbuf_puts(out, in->host);
                return strbuf_error(out);
        }

        compute_view(in, v);
        while ((line = next_line(in->host, &pos, &len))) {
                const char *colon = memchr(line, ':', len);
                bool nl = line[len] == '\n';
                int f = colon ? field_of_key(line, (size_t) (colon - line)) : -1;

                if (f < 0) {
                        strbuf_append(out, line, len + nl);
                        continue;
                }
                /* The kernel's layout: "Key:" padded to 16 columns, the
                 * value right-aligned in 8. */
                size_t klen = (size_t) (colon - line) + 1;
                strbuf_printf(out, "%.*s%*s%8" PRIu64 " kB%s", (int) klen, line,
                              klen < 16 ? (int) (16 - klen) : 0, "", v[f], nl ? "\n" : "");
        }
        return strbuf_error(out);
}

int meminfo_generate(struct render_ctx *ctx, struct strbuf *out)
{
        _cleanup_ttl_value_ struct ttl_value *host = NULL, *mem = NULL;
        const struct cg_reader *reader;
        bool have_view;
        int r;

        r = host_file_get(ctx->caches, HOST_MEMINFO, &host);
        if (r < 0)
                return r;
        r = render_ctx_reader(ctx, &reader);
        if (r >= 0)
                r = cg_memory_read_cached(render_cg_caches(ctx->caches), reader, &mem);
        if (r < 0 && !render_view_missing(r))
                return r;
        have_view = r >= 0;
        if (!have_view || !cg_memory_of(mem)->limited)
                return render_ctx_answer_as_is(ctx, host, out);
        /* Rewritten lines keep their width: one allocation. */
        (void) strbuf_reserve(out, host->len + 1);
        return meminfo_render(&(struct meminfo_input) {
                                      .host = host->data,
                                      .mem = have_view ? cg_memory_of(mem) : NULL,
                                      .use_swap = ctx->opts->use_swap,
                              },
                              out);
}
