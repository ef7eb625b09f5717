/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Files the kernel keeps per cgroup in the host file's own format
 * (pressure, v1 slabinfo): the reader's cgroup file is shown as it is,
 * else the host's. A cgroup file that fails the row's check is an error,
 * never replaced by the host's text. */

#include <errno.h>

#include "lxcfs/log.h"
#include "lxcfs/render.h"
#include "lxcfs/render_cache.h"

static bool cgroup_text_missing(const struct cgroup_copy *spec, const char *cgroup)
{
        return !cgroup || (spec->empty_is_host && cgroup[0] == '\0');
}

int cgroup_copy_render(const struct cgroup_copy *spec, const char *host, const char *cgroup,
                       struct strbuf *out)
{
        if (cgroup_text_missing(spec, cgroup))
                strbuf_puts(out, host);
        else {
                if (!spec->valid(cgroup))
                        return -EINVAL;
                strbuf_puts(out, cgroup);
        }
        return strbuf_error(out);
}

int cgroup_copy_generate(struct render_ctx *ctx, const struct cgroup_copy *spec, struct strbuf *out)
{
        _cleanup_ttl_value_ struct ttl_value *host = NULL;
        _cleanup_free_ char *cgroup = NULL;
        const struct cg_reader *reader;
        int r;

        r = render_ctx_reader(ctx, &reader);
        if (r >= 0)
                r = cg_reader_file(reader, spec->controller, spec->unified, ctx->file->cgroup_file, &cgroup);
        if (r < 0 && !render_view_missing(r))
                return r;
        /* The host's file is read only when it is the answer. */
        if (cgroup_text_missing(spec, cgroup)) {
                r = host_file_get(ctx->caches, ctx->file->host, &host);
                if (r < 0)
                        return r;
                return render_ctx_answer_as_is(ctx, host, out);
        }
        return cgroup_copy_render(spec, "", cgroup, out);
}
