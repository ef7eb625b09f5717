/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>

#include "lxcfs/fileio.h"
#include "lxcfs/log.h"
#include "lxcfs/render.h"
#include "lxcfs/render_cache.h"

#define FSHIFT 11
#define FIXED_1 (1UL << FSHIFT)
#define LOAD_INT(x) ((x) >> FSHIFT)
#define LOAD_FRAC(x) LOAD_INT(((x) & (FIXED_1 - 1)) * 100)

int loadavg_render(const struct loadavg_input *in, struct strbuf *out)
{
        const struct loadavg_value *v = in->value;
        unsigned long a[3];

        if (!v) {
                strbuf_puts(out, in->host);
                return strbuf_error(out);
        }
        /* The kernel adds half of the last printed digit before cutting. */
        for (int i = 0; i < 3; i++)
                a[i] = v->avg[i] + FIXED_1 / 200;
        strbuf_printf(out, "%lu.%02lu %lu.%02lu %lu.%02lu %u/%u %d\n",
                      LOAD_INT(a[0]), LOAD_FRAC(a[0]), LOAD_INT(a[1]), LOAD_FRAC(a[1]),
                      LOAD_INT(a[2]), LOAD_FRAC(a[2]), v->running, v->total, (int) v->last_pid);
        return strbuf_error(out);
}

int loadavg_generate(struct render_ctx *ctx, struct strbuf *out)
{
        _cleanup_ttl_value_ struct ttl_value *host = NULL;
        const struct cg_reader *reader;
        struct loadavg_value value;
        int r;

        if (ctx->loadavg && ctx->opts && ctx->opts->use_loadavg && render_ctx_reader(ctx, &reader) >= 0 &&
            !cg_reader_is_root(reader, CG_CPU) &&
            loadavg_sampler_get(ctx->loadavg, reader, &value) >= 0)
                return loadavg_render(&(struct loadavg_input) { .value = &value }, out);

        r = host_file_get(ctx->caches, HOST_LOADAVG, &host);
        if (r < 0)
                return log_error_errno(r, "Failed to read /proc/loadavg: %m");
        return render_ctx_answer_as_is(ctx, host, out);
}
