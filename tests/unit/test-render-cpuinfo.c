/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cpuinfo and cpu/online renderers on cpuinfo text from real x86 hosts;
 * the s390x and 32-bit ARM texts below are written after those kernels'
 * layouts (no such machine here). */
#include "lxcfs/render.h"
#include "tap.h"

static void check(const char *host, const char *cpus, const char *want, const char *name)
{
        _cleanup_strbuf_ struct strbuf out = STRBUF_INIT;
        struct cpuset visible;

        cpuset_parse(cpus, &visible);
        tap_ok(cpuinfo_render(&(struct cpuinfo_input) { host, &visible }, &out) == 0,
               "%s: renders", name);
        tap_streq(out.data ? out.data : "", want, name);
}

static void check_fixture(const char *host_rel, const char *cpus, const char *want_rel)
{
        _cleanup_free_ char *host = tap_fixture(host_rel), *want = tap_fixture(want_rel);

        check(host, cpus, want, want_rel);
}

static const char s390x[] =
        "vendor_id       : IBM/S390\n"
        "# processors    : 2\n"
        "bogomips per cpu: 3033.00\n"
        "features\t: esan3 zarch stfle msa ldisp eimm dfp edat etf3eh highgprs te\n"
        "processor 0: version = FF,  identification = 0133E8,  machine = 2964\n"
        "processor 1: version = FF,  identification = 0133E8,  machine = 2964\n"
        "\n"
        "cpu number      : 0\n"
        "cpu MHz dynamic : 5000\n"
        "\n"
        "cpu number      : 1\n"
        "cpu MHz dynamic : 5000\n";

static const char arm32[] =
        "processor\t: 0\n"
        "model name\t: ARMv7 Processor rev 4 (v7l)\n"
        "BogoMIPS\t: 38.40\n"
        "\n"
        "processor\t: 1\n"
        "model name\t: ARMv7 Processor rev 4 (v7l)\n"
        "BogoMIPS\t: 38.40\n"
        "\n"
        "Hardware\t: BCM2835\n"
        "Revision\t: a02082\n";

static void test_cpuinfo(void)
{
        _cleanup_free_ char *v1 = tap_fixture("host/v1/cpuinfo");

        check_fixture("host/v1/cpuinfo", "1", "render/cpuinfo/v1-cpu1");
        check_fixture("host/v2-smp6/cpuinfo", "2,4-5", "render/cpuinfo/v2-smp6-cpus-2,4-5");
        check(v1, "0-1", v1, "all CPUs visible: host text");
        check(v1, "0-7", v1, "visible CPUs the host does not list");

        check(s390x, "0", s390x, "s390x layout: passed through");
        check(arm32, "1",
              "processor\t: 1\n"
              "model name\t: ARMv7 Processor rev 4 (v7l)\n"
              "BogoMIPS\t: 38.40\n"
              "\n"
              "Hardware\t: BCM2835\n"
              "Revision\t: a02082\n",
              "arm32: trailing machine block kept");
        check("", "0", "", "empty host text");
        check("\n\ngarbage\nprocessor\t: x\n", "0", "\n\ngarbage\nprocessor\t: x\n",
              "malformed: passed through");
        check("processor\t: 0\nflags\t: a\n\nprocessor\t: 1\nflags\t: a", "1",
              "processor\t: 1\nflags\t: a", "no final newline");
}

static void check_online(const char *cpus, const char *want)
{
        _cleanup_strbuf_ struct strbuf out = STRBUF_INIT;
        struct cpuset visible;

        cpuset_parse(cpus, &visible);
        tap_ok(cpu_online_render(&(struct cpu_online_input) { &visible }, &out) == 0,
               "online %s: renders", cpus);
        tap_streq(out.data, want, "online list");
}

int main(void)
{
        test_cpuinfo();
        check_online("0", "0\n");
        check_online("0-1", "0-1\n");
        check_online("2,4-5", "2,4-5\n");
        return tap_done();
}
