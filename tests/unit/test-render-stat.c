/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stat and uptime renderers. Host text from real v1/v2 systems; CPU usage
 * from the cgroup files stored with it (tests/fixtures/host/README):
 * v1 cpuacct.usage_all (cpu0 user 236000000 ns, system 48000000 ns; cpu1
 * user 43976380 ns) and v2 cpu.stat (user_usec 2400551, system_usec
 * 427415). USER_HZ 100, so one tick is 10 ms. */
#include "lxcfs/render.h"
#include "tap.h"

static uint64_t v1_user[] = { 236000000, 43976380 };
static uint64_t v1_system[] = { 48000000, 0 };

static const struct cg_cpu_usage v1_usage = {
        .user_ns = 279976380, .system_ns = 48000000,
        .n_percpu = 2, .percpu_user_ns = v1_user, .percpu_system_ns = v1_system,
};

static const struct cg_cpu_usage v2_usage = {
        .user_ns = 2400551000, .system_ns = 427415000,
};

static void check(const char *host_rel, const char *cpus, const struct cg_cpu_usage *usage,
                  uint64_t age, const struct task_counts *tasks, const char *want_rel)
{
        _cleanup_strbuf_ struct strbuf out = STRBUF_INIT;
        _cleanup_free_ char *host = tap_fixture(host_rel), *want = tap_fixture(want_rel);
        struct cpuset visible;
        struct stat_input in = {
                .host = host, .visible = &visible, .usage = usage,
                .elapsed_ticks = age, .hz = 100, .tasks = tasks,
        };

        cpuset_parse(cpus, &visible);
        tap_ok(stat_render(&in, &out) == 0, "%s: renders", want_rel);
        tap_streq(out.data, want, want_rel);
}

static void test_stat(void)
{
        struct task_counts tasks = { .running = 1, .uninterruptible = 3, .total = 9 };
        struct cg_cpu_usage v2_odd = v2_usage;

        /* cpuset 2,4-5 with a 1.5 CPU quota leaves 2 and 4 visible. */
        check("host/v2-smp6/stat", "2,4", &v2_usage, 3000, &tasks, "render/stat/v2-cpus-2,4");
        /* 43 system ticks over 3 CPUs: 15 + 14 + 14, the sum stays exact. */
        v2_odd.system_ns = 437415000;
        check("host/v2-smp6/stat", "2,4-5", &v2_odd, 3000, NULL, "render/stat/v2-cpus-2,4-5");
        check("host/v1/stat", "0-1", &v1_usage, 500, NULL, "render/stat/v1-cpus-0-1");
        /* cpu0 left the cpuset: its time moves to cpu1. */
        check("host/v1/stat", "1", &v1_usage, 500, NULL, "render/stat/v1-cpu-1");
        /* More CPU time than age (the container's init restarted). */
        check("host/v1/stat", "0-1", &v1_usage, 10, NULL, "render/stat/v1-idle-clamped");
        check("host/v1/stat", "0-1", NULL, 500, &tasks, "host/v1/stat");
}

static void check_text(const char *host, const struct cg_cpu_usage *usage, const char *want,
                       const char *name)
{
        _cleanup_strbuf_ struct strbuf out = STRBUF_INIT;
        struct cpuset visible;

        cpuset_parse("0", &visible);
        tap_ok(stat_render(&(struct stat_input) { .host = host, .visible = &visible,
                                                  .usage = usage, .elapsed_ticks = 100,
                                                  .hz = 100 }, &out) == 0,
               "%s: renders", name);
        tap_streq(out.data ? out.data : "", want, name);
}

static void test_stat_odd_text(void)
{
        check_text("", &v2_usage, "", "empty host text");
        check_text("garbage\ncpux 1 2\nintr 5", &v2_usage, "garbage\ncpux 1 2\nintr 5",
                   "malformed host text kept");
        check_text("cpu  1 2 3\ncpu0 1 2 3\ncpu1 4 5 6\nctxt 1\n", &v2_usage,
                   "cpu  240 0 42 0 0 0 0 0 0 0\ncpu0 240 0 42 0 0 0 0 0 0 0\nctxt 1\n",
                   "short cpu lines replaced, idle 0 when busy > age");
}

static void check_uptime(const struct uptime_input *in, const char *want, const char *name)
{
        _cleanup_strbuf_ struct strbuf out = STRBUF_INIT;

        tap_ok(uptime_render(in, &out) == 0, "%s: renders", name);
        tap_streq(out.data, want, name);
}

static void test_uptime(void)
{
        struct cpu_times t[3];
        struct cpuset visible;
        uint64_t idle = 0;

        check_uptime(&(struct uptime_input) { .container = true, .uptime_ticks = 123456,
                                              .idle_ticks = 98765, .hz = 100 },
                     "1234.56 987.65\n", "container uptime");
        check_uptime(&(struct uptime_input) { .container = true, .uptime_ticks = 1001,
                                              .idle_ticks = 0, .hz = 250 },
                     "4.00 0.00\n", "USER_HZ 250");
        check_uptime(&(struct uptime_input) { .host = "28.81 3.97\n", .uptime_ticks = 5 },
                     "28.81 3.97\n", "host reader: host text");

        /* The idle of uptime is the sum of the idle /proc/stat shows. */
        cpuset_parse("2,4-5", &visible);
        stat_cpu_times(&v2_usage, &visible, 3000, 100, t);
        for (unsigned i = 0; i < 3; i++)
                idle += t[i].idle;
        tap_ok(t[0].cpu == 2 && t[1].cpu == 4 && t[2].cpu == 5, "real CPU ids");
        tap_ok(idle == 8718, "idle of 2,4-5 over 3000 ticks: %llu", (unsigned long long) idle);
        stat_cpu_times(NULL, &visible, 3000, 100, t);
        tap_ok(t[0].idle == 3000 && t[2].idle == 3000 && t[1].user == 0,
               "no usage view: all idle");
}

int main(void)
{
        test_stat();
        test_stat_odd_text();
        test_uptime();
        return tap_done();
}
