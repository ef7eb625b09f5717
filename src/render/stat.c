/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "lxcfs/cgroup_cache.h"
#include "lxcfs/fileio.h"
#include "lxcfs/log.h"
#include "lxcfs/parse.h"
#include "lxcfs/render.h"
#include "lxcfs/render_cache.h"

#define NSEC_PER_SEC UINT64_C(1000000000)

/* Give `ticks` to n CPUs as evenly as whole ticks allow: the shares add
 * up to exactly `ticks`. */
static uint64_t share(uint64_t ticks, unsigned n, unsigned i)
{
        return ticks / n + (i < ticks % n ? 1 : 0);
}

void stat_cpu_times(const struct cg_cpu_usage *usage, const struct cpuset *visible,
                    uint64_t elapsed_ticks, unsigned hz, struct cpu_times *ret)
{
        uint64_t ns_per_tick = NSEC_PER_SEC / (hz ? hz : 100);
        uint64_t spread_user = 0, spread_system = 0;
        unsigned n = cpuset_count(visible), percpu = usage ? usage->n_percpu : 0, i = 0;

        if (n == 0)
                return;
        if (usage && percpu == 0) {
                /* v2: no per-CPU split exists, spread the totals. */
                spread_user = usage->user_ns / ns_per_tick;
                spread_system = usage->system_ns / ns_per_tick;
        } else if (usage) {
                /* v1: time used on CPUs the container no longer sees (the
                 * cpuset or quota changed) is not dropped but spread. */
                uint64_t user_ns = 0, system_ns = 0;

                for (unsigned c = 0; c < percpu; c++)
                        if (!cpuset_has(visible, c)) {
                                user_ns += usage->percpu_user_ns[c];
                                system_ns += usage->percpu_system_ns[c];
                        }
                spread_user = user_ns / ns_per_tick;
                spread_system = system_ns / ns_per_tick;
        }

        CPUSET_FOREACH(cpu, visible) {
                struct cpu_times *t = &ret[i];
                uint64_t busy;

                t->cpu = (unsigned) cpu;
                t->user = share(spread_user, n, i);
                t->system = share(spread_system, n, i);
                if ((unsigned) cpu < percpu) {
                        t->user += usage->percpu_user_ns[cpu] / ns_per_tick;
                        t->system += usage->percpu_system_ns[cpu] / ns_per_tick;
                }
                busy = t->user + t->system;
                t->idle = elapsed_ticks > busy ? elapsed_ticks - busy : 0;
                i++;
        }
}

static void put_cpu_line(struct strbuf *out, const char *name, const struct cpu_times *t)
{
        strbuf_printf(out, "%s %" PRIu64 " 0 %" PRIu64 " %" PRIu64 " 0 0 0 0 0 0\n",
                      name, t->user, t->system, t->idle);
}

static void put_cpu_lines(struct strbuf *out, const struct cpu_times *times, unsigned n)
{
        struct cpu_times sum = {};
        char name[32];

        for (unsigned i = 0; i < n; i++) {
                sum.user += times[i].user;
                sum.system += times[i].system;
                sum.idle += times[i].idle;
        }
        /* The aggregate line is "cpu" plus two spaces, as the kernel has it. */
        put_cpu_line(out, "cpu ", &sum);
        for (unsigned i = 0; i < n; i++) {
                snprintf(name, sizeof(name), "cpu%u", times[i].cpu);
                put_cpu_line(out, name, &times[i]);
        }
}

static bool is_cpu_line(const char *line, size_t len)
{
        return len > 3 && memcmp(line, "cpu", 3) == 0 &&
               (line[3] == ' ' || (line[3] >= '0' && line[3] <= '9'));
}

static bool has_key(const char *line, size_t len, const char *key)
{
        size_t klen = strlen(key);

        return len > klen && memcmp(line, key, klen) == 0 && line[klen] == ' ';
}

int stat_render(const struct stat_input *in, struct strbuf *out)
{
        _cleanup_free_ struct cpu_times *times = NULL;
        unsigned n = in->usage ? cpuset_count(in->visible) : 0;
        bool cpus_done = false;
        const char *line;
        size_t pos = 0, len;

        if (!in->usage || n == 0) {
                strbuf_puts(out, in->host);
                return strbuf_error(out);
        }
        times = calloc(n, sizeof(*times));
        if (!times)
                return -ENOMEM;
        stat_cpu_times(in->usage, in->visible, in->elapsed_ticks, in->hz, times);

        while ((line = next_line(in->host, &pos, &len))) {
                bool nl = line[len] == '\n';

                if (is_cpu_line(line, len)) {
                        if (!cpus_done)
                                put_cpu_lines(out, times, n);
                        cpus_done = true;
                } else if (in->tasks && has_key(line, len, "procs_running"))
                        strbuf_printf(out, "procs_running %u\n", in->tasks->running);
                else if (in->tasks && has_key(line, len, "procs_blocked"))
                        strbuf_printf(out, "procs_blocked %u\n", in->tasks->uninterruptible);
                else
                        strbuf_append(out, line, len + nl);
        }
        return strbuf_error(out);
}

int stat_generate(struct render_ctx *ctx, struct strbuf *out)
{
        _cleanup_ttl_value_ struct ttl_value *host = NULL, *usage = NULL;
        struct stat_input in = { .hz = clock_ticks_per_sec() };
        const struct cg_reader *reader;
        struct task_counts tasks;
        struct cpuset visible;
        int r;

        r = host_file_get(ctx->caches, HOST_STAT, &host);
        if (r < 0)
                return r;
        in.host = host->data;

        r = render_ctx_reader(ctx, &reader);
        if (r >= 0 && cg_reader_is_root(reader, CG_CPUACCT))
                return render_ctx_answer_as_is(ctx, host, out);
        if (r >= 0)
                r = cg_cpu_usage_read_cached(render_cg_caches(ctx->caches), reader, &usage);
        if (r >= 0)
                r = render_ctx_visible_cpus(ctx, &visible);
        if (r >= 0)
                r = render_pidns_age_ticks(ctx->caches, ctx->pid, in.hz, &in.elapsed_ticks);
        if (r < 0)
                return render_view_missing(r) ? render_ctx_answer_as_is(ctx, host, out) : r;

        (void) strbuf_reserve(out, host->len + 1);
        in.usage = cg_cpu_usage_of(usage);
        in.visible = &visible;
        if (render_task_counts(ctx->caches, ctx->loadavg, reader, &tasks) >= 0)
                in.tasks = &tasks;
        return stat_render(&in, out);
}
