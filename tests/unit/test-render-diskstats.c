/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* diskstats renderer on real host diskstats text. The v2 case uses the
 * io.stat of tests/fixtures/host/v2-smp6/cgroup-cpuset ("254:0
 * rbytes=8527872 wbytes=8388608 rios=13 wios=8 dbytes=0 dios=0"). */
#include "lxcfs/render.h"
#include "tap.h"

static void check(const char *host, const struct cg_io_stats *io, const char *const *names,
                  const char *want, const char *name)
{
        _cleanup_strbuf_ struct strbuf out = STRBUF_INIT;

        tap_ok(diskstats_render(&(struct diskstats_input) { host, io, names }, &out) == 0,
               "%s: renders", name);
        tap_streq(out.data ? out.data : "", want, name);
}

static void test_v2(void)
{
        _cleanup_free_ char *host = tap_fixture("host/v2-smp6/diskstats");
        _cleanup_free_ char *want = tap_fixture("render/diskstats/v2-smp6-direct-io");
        struct cg_io_device dev = { .major = 254, .minor = 0, .rbytes = 8527872,
                                    .wbytes = 8388608, .rios = 13, .wios = 8 };
        struct cg_io_stats io = { 1, &dev };

        check(host, &io, NULL, want, "v2 io.stat, names from the host file");
}

static void test_mixed(void)
{
        _cleanup_free_ char *host = tap_fixture("host/v1/diskstats");
        _cleanup_free_ char *want = tap_fixture("render/diskstats/v1-mixed");
        struct cg_io_device dev[] = {
                { .major = 253, .minor = 0, .wios = 1, .wbytes = 4096 },
                { .major = 7, .minor = 0 }, /* not touched: not shown */
                { .major = 254, .minor = 0, .rios = 100, .rbytes = 409600, .wios = 50,
                  .wbytes = 1048576, .rtime_ns = 5000000, .wtime_ns = 7500000,
                  .dios = 2, .dbytes = 8192 },
                { .major = 8, .minor = 0, .rios = 1, .rbytes = 512 },  /* only in sysfs */
                { .major = 8, .minor = 16, .rios = 1, .rbytes = 512 }, /* no name at all */
        };
        const char *names[] = { NULL, "loop0", "vda", "sda", NULL };
        struct cg_io_stats io = { ELEMENTSOF(dev), dev };

        /* Host order, then devices the host file lacks. */
        check(host, &io, names, want, "v1 mixed devices");
        check(host, NULL, NULL, host, "host reader: host text");
        /* Without host lines, every touched device that has a name. */
        check("", &io, names,
              " 254       0 vda 100 0 800 5 50 0 2048 7 0 0 12 2 0 16 0 0 0\n"
              "   8       0 sda 1 0 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n",
              "empty host text");
}

static void test_old_kernel_columns(void)
{
        struct cg_io_device dev = { .major = 8, .minor = 1, .rios = 3, .rbytes = 1024 };
        struct cg_io_stats io = { 1, &dev };

        check("   8       0 sda 1 2 3 4 5 6 7 8 0 9 10\n"
              "   8       1 sda1 1 2 3 4 5 6 7 8 0 9 10\n",
              &io, NULL, "   8       1 sda1 3 0 2 0 0 0 0 0 0 0 0\n",
              "11-column host file");
        check("garbage\n\n 8 x\n", &io, NULL, "", "malformed host text");
}

int main(void)
{
        test_v2();
        test_mixed();
        test_old_kernel_columns();
        return tap_done();
}
