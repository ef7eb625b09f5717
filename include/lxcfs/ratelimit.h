/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* At most `burst` events per `interval_ns`, for messages that a reader can
 * trigger at will (one per open): the first ones are logged, the rest
 * counted and reported with the next one logged. Shared between threads. */

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct ratelimit {
        uint64_t interval_ns;
        unsigned burst;
        pthread_mutex_t lock;
        uint64_t begin_ns;  /* start of the current interval */
        unsigned n;         /* events in it */
        unsigned suppressed;
        bool started;
};

#define RATELIMIT_INIT(interval, n_burst) \
        { .interval_ns = (interval), .burst = (n_burst), .lock = PTHREAD_MUTEX_INITIALIZER }

/* True when the event at now_ns (a monotonic clock) may be logged; then
 * *ret_suppressed is the number of events dropped since the last one let
 * through. */
bool ratelimit_below(struct ratelimit *rl, uint64_t now_ns, unsigned *ret_suppressed);
/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t now_monotonic_ns(void);
