/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* /proc/slabinfo. Kernels before 5.9 kept slab caches per memory cgroup
 * and showed them in v1's memory.kmem.slabinfo, in /proc/slabinfo's own
 * format; later kernels leave that file empty (slab objects are charged
 * to cgroups one by one) and cgroup v2 has no such file: the reader then
 * sees the host's. */

#include <string.h>

#include "lxcfs/log.h"
#include "lxcfs/render.h"

static bool slabinfo_text_valid(const char *text)
{
        return startswith(text, "slabinfo - version: ");
}

static const struct cgroup_copy slabinfo_copy = {
        .controller = CG_MEMORY,
        .unified = false,
        .empty_is_host = true,
        .valid = slabinfo_text_valid,
};

int slabinfo_render(const struct slabinfo_input *in, struct strbuf *out)
{
        return cgroup_copy_render(&slabinfo_copy, in->host, in->cgroup, out);
}

int slabinfo_generate(struct render_ctx *ctx, struct strbuf *out)
{
        return cgroup_copy_generate(ctx, &slabinfo_copy, out);
}
