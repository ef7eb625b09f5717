/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The pure parts of the loadavg area: the kernel's fixed-point step, the
 * state letter of /proc/TID/stat and task lists, on captured fixtures. */

#include "../../src/loadavg/loadavg-internal.h"
#include "tap.h"

static void check_state(const char *fixture, char want)
{
        _cleanup_free_ char *text = tap_fixture(fixture);
        char got = 0;
        int r = proc_stat_state(text, strlen(text), &got);

        tap_ok(r == 0 && got == want, "%s: state %c (got %c, r=%d)", fixture, want, got ? got : '?', r);
}

static void test_stat_state(void)
{
        char st;

        check_state("loadavg/stat-running.txt", 'R');
        check_state("loadavg/stat-sleeping.txt", 'S');
        check_state("loadavg/stat-kworker.txt", 'I');
        check_state("loadavg/stat-vfork-parent-D.txt", 'D');
        /* The name "x) R (y" must not be taken for the state. */
        check_state("loadavg/stat-tricky-name.txt", 'S');

        /* What one small read returns: cut right after the state. */
        tap_ok(proc_stat_state("17 (a b) D", 10, &st) == 0 && st == 'D', "truncated after the state");
        tap_ok(proc_stat_state("17 (a b)", 8, &st) == -EINVAL, "truncated before the state");
        tap_ok(proc_stat_state("17 a b R 1", 10, &st) == -EINVAL, "no name");
}

static void check_list(const char *fixture, int want_r, unsigned want_n, pid_t want_max)
{
        _cleanup_free_ char *text = tap_fixture(fixture);
        unsigned n = 0;
        pid_t max = 0;
        int r = task_list_summarize(text, &n, &max);

        tap_ok(r == want_r, "%s: r=%d", fixture, r);
        if (want_r == 0)
                tap_ok(n == want_n && max == want_max, "%s: %u tasks, highest %d (got %u, %d)",
                       fixture, want_n, (int) want_max, n, (int) max);
}

static void test_task_list(void)
{
        size_t pos = 0;
        pid_t pid = 0;

        check_list("loadavg/threads-v2-root.txt", 0, 149, 23842);
        check_list("loadavg/empty.txt", 0, 0, 0);
        check_list("loadavg/malformed-list.txt", -EINVAL, 0, 0);

        tap_ok(task_list_next("7", &pos, &pid) == 1 && pid == 7, "last line without newline");
        tap_ok(task_list_next("7", &pos, &pid) == 0, "then the end");
        pos = 0;
        tap_ok(task_list_next("99999999999\n", &pos, &pid) == -EINVAL, "overflow refused");
}

/* The kernel's rounding, checked on values worked out by hand. */
static void test_calc_exact(void)
{
        unsigned long avg[3] = { 0, 0, 0 };

        /* 0 -> 1 task: 2048 * (2048 - 1884) / 2048 = 164, exactly. */
        tap_ok(loadavg_calc(0, LOADAVG_EXP_1, LOADAVG_FIXED_1) == 164, "first step up, 1 min");
        /* Growing: rounded up. 100*1884 + 2048*164 = 524272 -> 255.99 -> 256. */
        tap_ok(loadavg_calc(100, LOADAVG_EXP_1, LOADAVG_FIXED_1) == 256, "rounded up while growing");
        /* Shrinking: rounded down. 2048*1884 / 2048 = 1884. */
        tap_ok(loadavg_calc(2048, LOADAVG_EXP_1, 0) == 1884, "decay from 1.00");
        tap_ok(loadavg_calc(1, LOADAVG_EXP_15, 0) == 0, "a remainder decays to 0");

        loadavg_seed(avg, 3);
        tap_ok(avg[0] == 3 * 2048 && avg[1] == 3 * 2048 && avg[2] == 3 * 2048, "seed = count * FIXED_1");
        loadavg_step(avg, 3);
        tap_ok(avg[0] == 3 * 2048 && avg[2] == 3 * 2048, "constant count stays put");
}

/* Against the continuous formula: after k steps of 5 s from 0 with n tasks,
 * the average is n * (1 - e^(-5k/T)). e^(-5s/T) for T = 1, 5, 15 minutes,
 * written out to keep libm out of the test. */
static void test_calc_converges(void)
{
        const double decay[3] = { 0.9200444146293233, 0.9834714538216174, 0.9944598480048967 };
        double remaining[3] = { 1, 1, 1 };
        unsigned long avg[3] = { 0, 0, 0 };
        bool close_enough = true;
        int k;

        for (k = 1; k <= 12 * 15; k++) {
                loadavg_step(avg, 4);
                for (int i = 0; i < 3; i++) {
                        double want, diff;

                        remaining[i] *= decay[i];
                        want = 4 * 2048 * (1 - remaining[i]);
                        diff = (double) avg[i] - want;
                        /* EXP_* are rounded constants: allow 1% drift. */
                        if (diff > 0.01 * 4 * 2048 || diff < -0.01 * 4 * 2048)
                                close_enough = false;
                }
        }
        tap_ok(close_enough, "15 minutes at 4 tasks follow 4*(1-e^(-t/T))");

        for (k = 0; k < 5000; k++)
                loadavg_step(avg, 4);
        tap_ok(avg[0] == 4 * 2048 && avg[1] == 4 * 2048 && avg[2] == 4 * 2048,
               "reaches exactly 4.00 (got %lu %lu %lu)", avg[0], avg[1], avg[2]);
        for (k = 0; k < 5000; k++)
                loadavg_step(avg, 0);
        tap_ok(avg[0] == 0 && avg[1] == 0 && avg[2] == 0, "decays to exactly 0");
}

int main(void)
{
        test_stat_state();
        test_task_list();
        test_calc_exact();
        test_calc_converges();
        return tap_done();
}
