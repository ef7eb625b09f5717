/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>

#include "lxcfs/cgroup_cache.h"
#include "lxcfs/cpuset.h"
#include "lxcfs/fileio.h"
#include "lxcfs/log.h"
#include "lxcfs/ratelimit.h"
#include "lxcfs/render_cache.h"
#include "lxcfs/vfile.h"

/* A broken cgroup file or an fd shortage hits every open of every reader:
 * one line per interval says what and where, and how many followed. */
#define VIEW_ERROR_INTERVAL_NS (10 * UINT64_C(1000000000))
static struct ratelimit view_errors = RATELIMIT_INIT(VIEW_ERROR_INTERVAL_NS, 1);

int vfile_generate(const struct vfile *f, struct render_ctx *ctx, struct strbuf *out)
{
        char file[PATH_MAX], more[64] = "";
        unsigned suppressed;
        int r;

        fileio_last_reset();
        ctx->file = f;
        r = f->generate(ctx, out);
        if (r >= 0)
                return r;
        if (r == -ESRCH)
                return log_debug_errno(r, "Reader %d of /%s is gone", (int) ctx->pid, f->path);
        if (ratelimit_below(&view_errors, now_monotonic_ns(), &suppressed)) {
                if (suppressed > 0)
                        snprintf(more, sizeof(more), " (%u more since the last message)", suppressed);
                log_warning_errno(r, "Cannot build /%s for pid %d, at %s: %m; the reader gets EIO%s",
                                  f->path, (int) ctx->pid, fileio_last(file, sizeof(file)), more);
        }
        return -EIO;
}

void render_ctx_init(struct render_ctx *ctx, pid_t pid, const struct lxcfs_options *opts,
                     const struct cg_hierarchies *cg, struct loadavg_sampler *loadavg,
                     const struct render_caches *caches)
{
        *ctx = (struct render_ctx) {
                .pid = pid,
                .opts = opts,
                .cg = cg,
                .loadavg = loadavg,
                .caches = caches,
                .reader_err = 1,
        };
}

void render_ctx_done(struct render_ctx *ctx)
{
        ttl_value_unref(steal_pointer(&ctx->as_is));
        if (ctx->reader_ref)
                ttl_value_unref(steal_pointer(&ctx->reader_ref));
        else if (ctx->reader_err == 0)
                cg_reader_done(&ctx->reader);
        ctx->reader_err = 1;
}

int render_ctx_reader(struct render_ctx *ctx, const struct cg_reader **ret)
{
        /* One /proc/PID/cgroup read per context, whatever the outcome: a
         * file that needs the view twice must see the same answer. */
        if (ctx->reader_err == 1) {
                int r = ctx->cg ? cg_reader_load_cached(render_cg_caches(ctx->caches), ctx->cg, ctx->pid, &ctx->reader_ref) : -ENOENT;

                ctx->reader_err = r < 0 ? r : 0;
        }
        if (ctx->reader_err < 0)
                return ctx->reader_err;
        /* The shared record, or one a test put in place. */
        *ret = ctx->reader_ref ? cg_reader_of(ctx->reader_ref) : &ctx->reader;
        return 0;
}

int render_ctx_answer_as_is(struct render_ctx *ctx, struct ttl_value *v, struct strbuf *out)
{
        if (ctx->share_as_is && !ctx->as_is && out->len == 0 && !out->oom) {
                ctx->as_is = ttl_value_ref(v);
                return 0;
        }
        strbuf_puts(out, v->data);
        return strbuf_error(out);
}

static int host_online_cpus(const struct render_caches *caches, struct cpuset *ret)
{
        _cleanup_ttl_value_ struct ttl_value *online = NULL;
        int r;

        r = host_file_get(caches, HOST_CPU_ONLINE, &online);
        if (r < 0)
                return r;
        return cpuset_parse(online->data, ret);
}

int render_ctx_visible_cpus(struct render_ctx *ctx, struct cpuset *ret)
{
        _cleanup_ttl_value_ struct ttl_value *limits_ref = NULL;
        const struct cg_reader *reader;
        const struct cg_cpu_limits *limits = NULL;
        bool have_limits;
        int r;

        r = render_ctx_reader(ctx, &reader);
        if (r >= 0)
                r = cg_cpu_limits_read_cached(render_cg_caches(ctx->caches), reader, &limits_ref);
        if (r < 0 && !render_view_missing(r))
                return r;
        have_limits = r >= 0;
        if (have_limits)
                limits = cg_cpu_limits_of(limits_ref);

        if (have_limits && limits->has_cpuset && !cpuset_empty(&limits->cpuset))
                *ret = limits->cpuset;
        else {
                r = host_online_cpus(ctx->caches, ret);
                if (r < 0)
                        return r;
        }
        if (have_limits && ctx->opts && ctx->opts->use_cfs && limits->has_quota)
                cpuset_keep_first(ret, cg_quota_cpus(limits));
        return 0;
}
