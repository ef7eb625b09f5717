/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>

#include "lxcfs/cgroup_cache.h"
#include "lxcfs/cpuset.h"
#include "lxcfs/render_cache.h"
#include "lxcfs/vfile.h"

void render_ctx_init(struct render_ctx *ctx, pid_t pid, const struct lxcfs_options *opts,
                     const struct cg_hierarchies *cg, struct loadavg_sampler *loadavg)
{
        *ctx = (struct render_ctx) {
                .pid = pid,
                .opts = opts,
                .cg = cg,
                .loadavg = loadavg,
                .reader_err = 1,
        };
}

void render_ctx_done(struct render_ctx *ctx)
{
        if (ctx->reader_err == 0)
                cg_reader_done(&ctx->reader);
        ctx->reader_err = 1;
}

int render_ctx_reader(struct render_ctx *ctx, const struct cg_reader **ret)
{
        /* One /proc/PID/cgroup read per context, whatever the outcome: a
         * file that needs the view twice must see the same answer. */
        if (ctx->reader_err == 1) {
                int r = ctx->cg ? cg_reader_load_cached(ctx->cg, ctx->pid, &ctx->reader) : -ENOENT;

                ctx->reader_err = r < 0 ? r : 0;
        }
        if (ctx->reader_err < 0)
                return ctx->reader_err;
        *ret = &ctx->reader;
        return 0;
}

static int host_online_cpus(struct cpuset *ret)
{
        _cleanup_ttl_value_ struct ttl_value *online = NULL;
        int r;

        r = host_file_get(HOST_CPU_ONLINE, &online);
        if (r < 0)
                return r;
        return cpuset_parse(online->data, ret);
}

int render_ctx_visible_cpus(struct render_ctx *ctx, struct cpuset *ret)
{
        const struct cg_reader *reader;
        struct cg_cpu_limits limits;
        bool have_limits;
        int r;

        have_limits = render_ctx_reader(ctx, &reader) >= 0 &&
                      cg_cpu_limits_read_cached(reader, &limits) >= 0;

        if (have_limits && limits.has_cpuset && !cpuset_empty(&limits.cpuset))
                *ret = limits.cpuset;
        else {
                r = host_online_cpus(ret);
                if (r < 0)
                        return r;
        }
        if (have_limits && ctx->opts && ctx->opts->use_cfs && limits.has_quota)
                cpuset_keep_first(ret, cg_quota_cpus(&limits));
        return 0;
}
