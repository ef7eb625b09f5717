/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* meminfo and swaps renderers on host text captured from a v1 host and a v2
 * VM. The cgroup views below are the numbers read from the memory.stat /
 * usage files stored next to the host text (tests/fixtures/host/README);
 * the expected files were worked out by hand from them. */
#include <inttypes.h>

#include "lxcfs/render.h"
#include "tap.h"

#define KiB UINT64_C(1024)
#define MiB (1024 * KiB)
#define GiB (1024 * MiB)

static void set_stat(struct cg_memory *m, enum cg_memstat_field f, uint64_t bytes)
{
        m->stat[f] = bytes;
        m->stat_present |= UINT32_C(1) << f;
}

static void check(const char *host, const struct cg_memory *m, bool use_swap,
                  const char *want, const char *name)
{
        _cleanup_strbuf_ struct strbuf out = STRBUF_INIT;
        int r = meminfo_render(&(struct meminfo_input) { host, m, use_swap }, &out);

        tap_ok(r == 0, "%s: renders", name);
        tap_streq(out.data ? out.data : "", want, name);
}

static void check_fixture(const char *host_rel, const struct cg_memory *m, bool use_swap,
                          const char *want_rel)
{
        _cleanup_free_ char *host = tap_fixture(host_rel), *want = tap_fixture(want_rel);

        check(host, m, use_swap, want, want_rel);
}

/* tests/fixtures/host/v2/cgroup-256m-tmpfs: memory.max 256M, 96 MiB in a
 * tmpfs, 32 MiB page cache. */
static struct cg_memory v2_256m(void)
{
        struct cg_memory m = {
                .limited = true, .limit = 268435456, .usage = 135585792,
                .swap_limited = false, .swap_limit = UINT64_MAX,
                .swap_usage_known = true, .swap_usage = 0,
        };
        set_stat(&m, MEMSTAT_ANON, 0);
        set_stat(&m, MEMSTAT_FILE, 134348800);
        set_stat(&m, MEMSTAT_SHMEM, 100663296);
        set_stat(&m, MEMSTAT_MAPPED, 0);
        set_stat(&m, MEMSTAT_DIRTY, 0);
        set_stat(&m, MEMSTAT_WRITEBACK, 0);
        set_stat(&m, MEMSTAT_ACTIVE_ANON, 0);
        set_stat(&m, MEMSTAT_INACTIVE_ANON, 100663296);
        set_stat(&m, MEMSTAT_ACTIVE_FILE, 86016);
        set_stat(&m, MEMSTAT_INACTIVE_FILE, 33599488);
        set_stat(&m, MEMSTAT_UNEVICTABLE, 0);
        set_stat(&m, MEMSTAT_SLAB, 1234328);
        set_stat(&m, MEMSTAT_SLAB_RECLAIMABLE, 1233312);
        set_stat(&m, MEMSTAT_SLAB_UNRECLAIMABLE, 1016);
        set_stat(&m, MEMSTAT_KERNEL_STACK, 0);
        set_stat(&m, MEMSTAT_PAGETABLES, 0);
        set_stat(&m, MEMSTAT_SWAPCACHED, 0);
        return m;
}

/* tests/fixtures/host/v1/cgroup-256m-tmpfs: the same experiment on v1 (no
 * slab, kernel stack or page table keys). */
static struct cg_memory v1_256m(void)
{
        struct cg_memory m = {
                .limited = true, .limit = 268435456, .usage = 135811072,
                .swap_limited = true, .swap_limit = 64 * MiB,
                .swap_usage_known = true, .swap_usage = 10 * MiB,
        };
        set_stat(&m, MEMSTAT_ANON, 0);
        set_stat(&m, MEMSTAT_FILE, 134234112);
        set_stat(&m, MEMSTAT_SHMEM, 100663296);
        set_stat(&m, MEMSTAT_MAPPED, 0);
        set_stat(&m, MEMSTAT_DIRTY, 33554432);
        set_stat(&m, MEMSTAT_WRITEBACK, 0);
        set_stat(&m, MEMSTAT_ACTIVE_ANON, 0);
        set_stat(&m, MEMSTAT_INACTIVE_ANON, 100663296);
        set_stat(&m, MEMSTAT_ACTIVE_FILE, 16384);
        set_stat(&m, MEMSTAT_INACTIVE_FILE, 33554432);
        set_stat(&m, MEMSTAT_UNEVICTABLE, 0);
        set_stat(&m, MEMSTAT_SWAPCACHED, 0);
        return m;
}

static void test_limits(void)
{
        struct cg_memory v2 = v2_256m(), v1 = v1_256m();

        /* MemFree = 256 MiB - usage, so the 96 MiB of shmem count as used;
         * MemAvailable adds back only the file LRU and reclaimable slab. */
        check_fixture("host/v2/meminfo-tmpfs96m", &v2, true, "render/meminfo/v2-256m-tmpfs");
        check_fixture("host/v1/meminfo-swap", &v1, true, "render/meminfo/v1-256m-swap64m");
        check_fixture("host/v1/meminfo-swap", &v1, false, "render/meminfo/v1-256m-noswap");
        v1.swap_limited = false;
        v1.swap_limit = UINT64_MAX;
        check_fixture("host/v1/meminfo-swap", &v1, true, "render/meminfo/v1-256m-swap-unlimited");
}

static void test_host_passthrough(void)
{
        _cleanup_free_ char *host = tap_fixture("host/v1/meminfo");
        struct cg_memory unlimited = v1_256m();

        unlimited.limited = false;
        unlimited.limit = UINT64_MAX;
        check(host, NULL, true, host, "no cgroup view: host text");
        check(host, &unlimited, true, host, "no limit on the chain: host text");
        check("", NULL, true, "", "empty host text, no view");
}

static void test_odd_host_text(void)
{
        struct cg_memory m = {
                .limited = true, .limit = 512 * MiB, .usage = 100 * MiB,
        };

        set_stat(&m, MEMSTAT_FILE, 20 * MiB);
        set_stat(&m, MEMSTAT_SHMEM, 4 * MiB);
        /* Missing keys are not added, unknown and broken lines are kept,
         * and so is a missing final newline. */
        check("MemTotal:        1000000 kB\n"
              "MemFree:          900000 kB\n"
              "Weird line without colon\n"
              "Cached:            50000 kB\n"
              "HugePages_Total:       0\n"
              "Shmem:              1000 kB",
              &m, true,
              "MemTotal:         524288 kB\n"
              "MemFree:          421888 kB\n"
              "Weird line without colon\n"
              "Cached:            20480 kB\n"
              "HugePages_Total:       0\n"
              "Shmem:              4096 kB",
              "host text without some keys");

        check("", &m, true, "", "empty host text with a view");

        /* No MemTotal on the host: the limit is the total; usage above it
         * gives MemFree 0, never a wrapped number. */
        m.usage = 600 * MiB;
        check("MemFree:               5 kB\nMemAvailable:   7 kB\n", &m, true,
              "MemFree:               0 kB\nMemAvailable:          0 kB\n",
              "usage above the limit");

        /* A limit above the host's memory shows the host's. */
        m.limit = 64 * GiB;
        m.usage = 1 * GiB;
        check("MemTotal:       24684084 kB\nMemFree:        23477132 kB\n", &m, true,
              "MemTotal:       24684084 kB\nMemFree:        23635508 kB\n",
              "limit above host memory");
}

static void check_swaps(const struct swaps_input *in, const char *want_rel, const char *name)
{
        _cleanup_strbuf_ struct strbuf out = STRBUF_INIT;
        _cleanup_free_ char *want = tap_fixture(want_rel);

        tap_ok(swaps_render(in, &out) == 0, "%s: renders", name);
        tap_streq(out.data, want, name);
}

static void test_swaps(void)
{
        _cleanup_free_ char *host_meminfo = tap_fixture("host/v1/meminfo-swap");
        struct cg_memory v1 = v1_256m();
        struct swaps_input in = { .host = "host swaps text\n", .container = true };

        meminfo_swap_kb(host_meminfo, &v1, true, &in.total_kb, &in.used_kb);
        tap_ok(in.total_kb == 65536 && in.used_kb == 10240, "swap view: 64 MiB, 10 MiB used");
        check_swaps(&in, "render/swaps/64m-used-10m", "swap limited");

        meminfo_swap_kb(host_meminfo, &v1, false, &in.total_kb, &in.used_kb);
        tap_ok(in.total_kb == 0 && in.used_kb == 0, "--disable-swap: no swap");
        check_swaps(&in, "render/swaps/none", "no swap: header only");

        /* Sizes of 8 digits lose the second tab, as in the kernel. */
        in.total_kb = 16 * MiB;
        in.used_kb = 0;
        check_swaps(&in, "render/swaps/16g-unused", "big swap");

        {
                _cleanup_strbuf_ struct strbuf out = STRBUF_INIT;
                in.container = false;
                swaps_render(&in, &out);
                tap_streq(out.data, "host swaps text\n", "host reader: host text");
        }
}

int main(void)
{
        test_limits();
        test_host_passthrough();
        test_odd_host_text();
        test_swaps();
        return tap_done();
}
