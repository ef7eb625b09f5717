/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "lxcfs/ratelimit.h"
#include "tap.h"

#define SEC UINT64_C(1000000000)

int main(void)
{
        struct ratelimit rl = RATELIMIT_INIT(10 * SEC, 2);
        unsigned suppressed = 99;

        tap_ok(ratelimit_below(&rl, 100 * SEC, &suppressed) && suppressed == 0, "first event passes");
        tap_ok(ratelimit_below(&rl, 101 * SEC, &suppressed) && suppressed == 0, "second event (burst 2) passes");
        tap_ok(!ratelimit_below(&rl, 102 * SEC, &suppressed), "third within the interval is dropped");
        tap_ok(!ratelimit_below(&rl, 109 * SEC, &suppressed), "fourth within the interval is dropped");
        tap_ok(ratelimit_below(&rl, 110 * SEC, &suppressed), "a new interval lets one through");
        tap_ok(suppressed == 2, "and reports the two dropped (%u)", suppressed);
        tap_ok(ratelimit_below(&rl, 111 * SEC, &suppressed) && suppressed == 0, "count restarts after a report");

        struct ratelimit first = RATELIMIT_INIT(10 * SEC, 1);
        tap_ok(ratelimit_below(&first, 0, &suppressed), "an event at time 0 passes");
        tap_ok(!ratelimit_below(&first, 1, &suppressed), "burst 1: the next is dropped");
        tap_ok(now_monotonic_ns() > 0, "monotonic clock reads");
        return tap_done();
}
