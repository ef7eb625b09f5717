/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* /proc/slabinfo. Kernels before 5.9 kept slab caches per memory cgroup
 * and showed them in v1's memory.kmem.slabinfo, in /proc/slabinfo's own
 * format; later kernels leave that file empty (slab objects are charged
 * to cgroups one by one) and cgroup v2 has no such file: the reader then
 * sees the host's. */

#include <errno.h>
#include <string.h>

#include "lxcfs/log.h"
#include "lxcfs/render.h"
#include "lxcfs/render_cache.h"

#define SLABINFO_HEADER "slabinfo - version: "

int slabinfo_render(const struct slabinfo_input *in, struct strbuf *out)
{
        const char *text = in->host;

        if (in->cgroup && in->cgroup[0] != '\0') {
                if (!startswith(in->cgroup, SLABINFO_HEADER))
                        return -EINVAL;
                text = in->cgroup;
        }
        strbuf_puts(out, text);
        return strbuf_error(out);
}

int slabinfo_generate(struct render_ctx *ctx, struct strbuf *out)
{
        _cleanup_ttl_value_ struct ttl_value *host = NULL;
        _cleanup_free_ char *cgroup = NULL;
        const struct cg_reader *reader;
        int r;

        r = render_ctx_reader(ctx, &reader);
        if (r >= 0)
                r = cg_reader_file(reader, CG_MEMORY, false, ctx->file->cgroup_file, &cgroup);
        if (r < 0 && !render_view_missing(r))
                return r;
        if (!cgroup || cgroup[0] == '\0') {
                r = host_file_get(ctx->file->host, &host);
                if (r < 0)
                        return r;
        }
        return slabinfo_render(&(struct slabinfo_input) { .host = host ? host->data : "",
                                                           .cgroup = cgroup }, out);
}
