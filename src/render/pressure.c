/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* /proc/pressure/{cpu,memory,io}. On cgroup v2 every cgroup has its own
 * cpu.pressure, memory.pressure and io.pressure, in the format of the
 * host's files: the reader's are shown as they are. cgroup v1 has none,
 * so there the reader sees the host's. One renderer serves the three
 * rows; the row names the cgroup and host files. */

#include <errno.h>
#include <string.h>

#include "lxcfs/log.h"
#include "lxcfs/render.h"
#include "lxcfs/render_cache.h"

/* Every line is "some ..." or "full ...": anything else is not a pressure
 * file, and showing it would mislead the programs that parse it. */
static bool pressure_text_valid(const char *text)
{
        if (text[0] == '\0')
                return false;
        for (const char *p = text; *p; ) {
                const char *nl = strchr(p, '\n');

                if (!startswith(p, "some ") && !startswith(p, "full "))
                        return false;
                if (!nl)
                        break;
                p = nl + 1;
        }
        return true;
}

int pressure_render(const struct pressure_input *in, struct strbuf *out)
{
        if (in->cgroup) {
                if (!pressure_text_valid(in->cgroup))
                        return -EINVAL;
                strbuf_puts(out, in->cgroup);
        } else
                strbuf_puts(out, in->host);
        return strbuf_error(out);
}

int pressure_generate(struct render_ctx *ctx, struct strbuf *out)
{
        _cleanup_ttl_value_ struct ttl_value *host = NULL;
        _cleanup_free_ char *cgroup = NULL;
        const struct cg_reader *reader;
        int r;

        /* Pressure files are in every cgroup2 cgroup whatever controllers
         * it has; CG_CPU stands for "the reader's cgroup on v2". */
        r = render_ctx_reader(ctx, &reader);
        if (r >= 0)
                r = cg_reader_file(reader, CG_CPU, true, ctx->file->cgroup_file, &cgroup);
        if (r < 0 && !render_view_missing(r))
                return r;
        if (!cgroup) {
                r = host_file_get(ctx->file->host, &host);
                if (r < 0)
                        return r;
        }
        return pressure_render(&(struct pressure_input) { .host = host ? host->data : "",
                                                          .cgroup = cgroup }, out);
}
