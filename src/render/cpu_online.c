/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "lxcfs/log.h"
#include "lxcfs/render.h"

int cpu_online_render(const struct cpu_online_input *in, struct strbuf *out)
{
        cpuset_format(in->visible, out);
        strbuf_puts(out, "\n");
        return strbuf_error(out);
}

int cpu_online_generate(struct render_ctx *ctx, struct strbuf *out)
{
        struct cpuset visible;
        int r;

        r = render_ctx_visible_cpus(ctx, &visible);
        if (r < 0)
                return r;
        return cpu_online_render(&(struct cpu_online_input) { .visible = &visible }, out);
}
