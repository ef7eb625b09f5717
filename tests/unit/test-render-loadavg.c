/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* loadavg renderer: fixed point values (FSHIFT 11) printed like the kernel. */
#include "lxcfs/render.h"
#include "tap.h"

static void check(const struct loadavg_input *in, const char *want, const char *name)
{
        _cleanup_strbuf_ struct strbuf out = STRBUF_INIT;

        tap_ok(loadavg_render(in, &out) == 0, "%s: renders", name);
        tap_streq(out.data, want, name);
}

int main(void)
{
        _cleanup_free_ char *host = tap_fixture("host/v1/loadavg");
        /* 2048 = 1.00; 1024 = 0.50; 3000 = 1.4648 -> 1.46. */
        struct loadavg_value v = { .avg = { 2048, 1024, 3000 }, .running = 3, .total = 120,
                                   .last_pid = 4567 };
        /* 2047 = 0.9995: the kernel's +0.005 rounds it to 1.00;
         * 20 = 0.0098 -> 0.01; 9 = 0.0044 -> 0.00. */
        struct loadavg_value r = { .avg = { 2047, 20, 9 }, .running = 0, .total = 1 };

        check(&(struct loadavg_input) { .value = &v }, "1.00 0.50 1.46 3/120 4567\n", "values");
        check(&(struct loadavg_input) { .value = &r }, "1.00 0.01 0.00 0/1 0\n", "rounding");
        check(&(struct loadavg_input) { .host = host }, host, "no sampler: host text");
        return tap_done();
}
