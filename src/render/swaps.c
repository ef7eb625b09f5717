/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>

#include "lxcfs/cgroup_cache.h"
#include "lxcfs/fileio.h"
#include "lxcfs/log.h"
#include "lxcfs/render.h"
#include "lxcfs/render_cache.h"

#define SWAPS_HEADER "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"

/* The kernel pads the name to 40 columns and adds a second tab after
 * numbers shorter than 8 digits, to keep the columns aligned. */
static void put_swap_line(struct strbuf *out, const char *name, const char *type,
                          uint64_t size_kb, uint64_t used_kb, int prio)
{
        size_t len = strlen(name);

        strbuf_printf(out, "%s%*s%s\t%" PRIu64 "\t%s%" PRIu64 "\t%s%d\n",
                      name, len < 40 ? (int) (40 - len) : 1, " ", type,
                      size_kb, size_kb < 10000000 ? "\t" : "",
                      used_kb, used_kb < 10000000 ? "\t" : "",
                      prio);
}

int swaps_render(const struct swaps_input *in, struct strbuf *out)
{
        if (!in->container) {
                strbuf_puts(out, in->host);
                return strbuf_error(out);
        }
        strbuf_puts(out, SWAPS_HEADER);
        if (in->total_kb > 0)
                put_swap_line(out, "none", "virtual", in->total_kb, in->used_kb, 0);
        return strbuf_error(out);
}

int swaps_generate(struct render_ctx *ctx, struct strbuf *out)
{
        _cleanup_ttl_value_ struct ttl_value *host = NULL, *meminfo = NULL, *mem = NULL;
        struct swaps_input in = {};
        const struct cg_reader *reader;
        int r;

        r = host_file_get(ctx->caches, HOST_SWAPS, &host);
        if (r < 0)
                return r;
        in.host = host->data;

        r = render_ctx_reader(ctx, &reader);
        if (r >= 0)
                r = cg_memory_read_cached(render_cg_caches(ctx->caches), reader, &mem);
        if (r < 0 && !render_view_missing(r))
                return r;
        in.container = r >= 0 && cg_memory_of(mem)->limited;
        if (!in.container)
                return render_ctx_answer_as_is(ctx, host, out);
        r = host_file_get(ctx->caches, HOST_MEMINFO, &meminfo);
        if (r < 0)
                return r;
        meminfo_swap_kb(meminfo->data, cg_memory_of(mem), ctx->opts->use_swap, &in.total_kb, &in.used_kb);
        return swaps_render(&in, out);
}
