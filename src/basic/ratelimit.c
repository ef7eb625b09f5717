/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <time.h>

#include "lxcfs/ratelimit.h"

uint64_t now_monotonic_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * UINT64_C(1000000000) + (uint64_t) ts.tv_nsec;
}

bool ratelimit_below(struct ratelimit *rl, uint64_t now_ns, unsigned *ret_suppressed)
{
        bool below;

        pthread_mutex_lock(&rl->lock);
        if (!rl->started || now_ns - rl->begin_ns >= rl->interval_ns) {
                rl->started = true;
                rl->begin_ns = now_ns;
                rl->n = 0;
        }
        below = rl->n < rl->burst;
        if (below) {
                rl->n++;
                *ret_suppressed = rl->suppressed;
                rl->suppressed = 0;
        } else
                rl->suppressed++;
        pthread_mutex_unlock(&rl->lock);
        return below;
}
