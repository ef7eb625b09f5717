/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>

#include "lxcfs/cgroup_cache.h"
#include "lxcfs/fileio.h"
#include "lxcfs/log.h"
#include "lxcfs/render.h"
#include "lxcfs/render_cache.h"

/* Ticks as seconds with two decimals, truncated like the kernel's own
 * /proc/uptime, in integers to stay exact. */
static void put_seconds(struct strbuf *out, uint64_t ticks, unsigned hz)
{
        uint64_t centisec = ticks / hz * 100 + ticks % hz * 100 / hz;

        strbuf_printf(out, "%" PRIu64 ".%02" PRIu64, centisec / 100, centisec % 100);
}

int uptime_render(const struct uptime_input *in, struct strbuf *out)
{
        unsigned hz = in->hz ? in->hz : 100;

        if (!in->container) {
                strbuf_puts(out, in->host);
                return strbuf_error(out);
        }
        put_seconds(out, in->uptime_ticks, hz);
        strbuf_puts(out, " ");
        put_seconds(out, in->idle_ticks, hz);
        strbuf_puts(out, "\n");
        return strbuf_error(out);
}

/* Sum of the idle ticks /proc/stat shows this reader, so that both files
 * agree. Without a CPU usage view every visible CPU counts as idle. */
static int idle_ticks(struct render_ctx *ctx, uint64_t age, unsigned hz, uint64_t *ret)
{
        _cleanup_ttl_value_ struct ttl_value *usage = NULL;
        /* On the stack for the usual machine; more CPUs than that allocate. */
        struct cpu_times small[64];
        _cleanup_free_ struct cpu_times *big = NULL;
        struct cpu_times *times = small;
        const struct cg_reader *reader;
        struct cpuset visible;
        uint64_t sum = 0;
        unsigned n;
        int r;

        r = render_ctx_visible_cpus(ctx, &visible);
        if (r < 0)
                return r;
        n = cpuset_count(&visible);
        if (n > ELEMENTSOF(small)) {
                times = big = calloc(n, sizeof(*times));
                if (!times)
                        return -ENOMEM;
        }
        r = render_ctx_reader(ctx, &reader);
        if (r >= 0)
                r = cg_cpu_usage_read_cached(render_cg_caches(ctx->caches), reader, &usage);
        if (r < 0 && !render_view_missing(r))
                return r;
        stat_cpu_times(r >= 0 ? cg_cpu_usage_of(usage) : NULL, &visible, age, hz, times);
        for (unsigned i = 0; i < n; i++)
                sum += times[i].idle;
        *ret = sum;
        return 0;
}

int uptime_generate(struct render_ctx *ctx, struct strbuf *out)
{
        _cleanup_ttl_value_ struct ttl_value *host = NULL;
        struct uptime_input in = { .hz = clock_ticks_per_sec() };
        int r;

        r = pid_in_host_pidns(ctx->pid);
        if (r == 0)
                r = render_pidns_age_ticks(ctx->caches, ctx->pid, in.hz, &in.uptime_ticks);
        if (r == 0) {
                r = idle_ticks(ctx, in.uptime_ticks, in.hz, &in.idle_ticks);
                if (r < 0)
                        return r;
                in.container = true;
                return uptime_render(&in, out);
        }
        if (r < 0 && !render_view_missing(r))
                return r;

        /* The host's own readers, and readers gone meanwhile. */
        r = host_file_get(ctx->caches, HOST_UPTIME, &host);
        if (r < 0)
                return r;
        return render_ctx_answer_as_is(ctx, host, out);
}
