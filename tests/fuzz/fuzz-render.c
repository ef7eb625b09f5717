/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The renderers' host inputs: /proc/meminfo, /proc/stat, /proc/cpuinfo,
 * /proc/diskstats, /proc/swaps, /proc/uptime and /proc/loadavg text, each
 * rendered for a limited container (v1-like and v2-like views, with odd
 * CPU ids) and passed through for the host. Every renderer gets every
 * input. */

#include <assert.h>

#include "fuzz.h"
#include "lxcfs/render.h"
#include "lxcfs/strbuf.h"

static uint64_t percpu_user[8] = { 1000000000, 2, 3, 4, 5, 6, 7, UINT64_MAX / 4 };
static uint64_t percpu_system[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };

static const struct cg_cpu_usage usages[] = {
        { .user_ns = 279976380, .system_ns = 48000000, .n_percpu = 8,
          .percpu_user_ns = percpu_user, .percpu_system_ns = percpu_system },
        { .user_ns = 2400551000, .system_ns = 427415000 },
};

static struct cg_memory memories[2];
static struct cg_io_device devices[] = {
        { .major = 8, .minor = 0, .rbytes = 4096, .wbytes = 512, .rios = 1, .wios = 1 },
        { .major = 253, .minor = 1, .rios = 7, .dbytes = 1 },
        { .major = 1, .minor = 2, .wios = 3 },
};
static const struct cg_io_stats io = { .n = ELEMENTSOF(devices), .dev = devices };
static const char *const disk_names[] = { NULL, "dm-1", NULL };

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        fuzz_quiet_logs();
        for (int i = 0; i < 2; i++) {
                struct cg_memory *m = &memories[i];

                *m = (struct cg_memory) {
                        .limited = true, .limit = 268435456, .usage = i ? 300000000 : 10485760,
                        .swap_limited = i == 0, .swap_limit = 67108864,
                        .swap_usage_known = true, .swap_usage = 1048576,
                };
                for (int f = 0; f < _MEMSTAT_MAX; f++) {
                        m->stat[f] = i ? UINT64_MAX - (uint64_t) f : (uint64_t) f * 4096;
                        m->stat_present |= UINT32_C(1) << f;
                }
        }
        return 0;
}

static void render_meminfo(const char *host)
{
        for (int i = 0; i < 3; i++) {
                _cleanup_strbuf_ struct strbuf out = STRBUF_INIT, swaps = STRBUF_INIT;
                struct meminfo_input in = { .host = host, .mem = i < 2 ? &memories[i] : NULL,
                                            .use_swap = i != 1 };
                struct swaps_input sw = { .host = host, .container = i < 2 };

                (void) meminfo_render(&in, &out);
                if (in.mem)
                        meminfo_swap_kb(host, in.mem, in.use_swap, &sw.total_kb, &sw.used_kb);
                (void) swaps_render(&sw, &swaps);
        }
}

static void render_cpu(const char *host)
{
        static const char *const sets[] = { "0", "1,3-4,7", "4095", "0-63" };
        struct task_counts tasks = { .running = 1, .uninterruptible = 2, .total = 9, .last_pid = 42 };

        for (size_t i = 0; i < ELEMENTSOF(sets); i++) {
                _cleanup_strbuf_ struct strbuf stat = STRBUF_INIT, cpuinfo = STRBUF_INIT;
                struct cpuset visible;
                struct stat_input in = {
                        .host = host, .visible = &visible, .usage = &usages[i % 2],
                        .elapsed_ticks = i * 1000, .hz = 100, .tasks = i ? &tasks : NULL,
                };
                struct cpuinfo_input ci = { .host = host, .visible = &visible };

                if (cpuset_parse(sets[i], &visible) < 0)
                        abort();
                (void) stat_render(&in, &stat);
                (void) cpuinfo_render(&ci, &cpuinfo);
        }
}

static void render_rest(const char *host)
{
        struct loadavg_value value = { .avg = { 2048, 1024, 0 }, .running = 1, .total = 5, .last_pid = 77 };

        for (int container = 0; container < 2; container++) {
                _cleanup_strbuf_ struct strbuf disk = STRBUF_INIT, load = STRBUF_INIT, up = STRBUF_INIT;
                struct diskstats_input di = { .host = host, .io = container ? &io : NULL,
                                              .names = container ? disk_names : NULL };
                struct loadavg_input li = { .host = host, .value = container ? &value : NULL };
                struct uptime_input ui = { .host = host, .container = container,
                                           .uptime_ticks = 12345, .idle_ticks = 2000, .hz = 100 };

                (void) diskstats_render(&di, &disk);
                (void) loadavg_render(&li, &load);
                (void) uptime_render(&ui, &up);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_free_ char *text = fuzz_text(data, size);

        render_meminfo(text);
        render_cpu(text);
        render_rest(text);
        return 0;
}
