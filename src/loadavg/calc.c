/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The kernel's load average arithmetic (kernel/sched/loadavg.c), applied to
 * one cgroup's count instead of the whole host's. */

#include <stddef.h>

#include "loadavg-internal.h"

unsigned long loadavg_calc(unsigned long load, unsigned long exp, unsigned long active)
{
        unsigned long next = load * exp + active * (LOADAVG_FIXED_1 - exp);

        if (active >= load)
                next += LOADAVG_FIXED_1 - 1;
        return next / LOADAVG_FIXED_1;
}

static const unsigned long loadavg_exp[3] = { LOADAVG_EXP_1, LOADAVG_EXP_5, LOADAVG_EXP_15 };

void loadavg_step(unsigned long avg[3], unsigned nr_active)
{
        unsigned long active = (unsigned long) nr_active * LOADAVG_FIXED_1;

        for (size_t i = 0; i < 3; i++)
                avg[i] = loadavg_calc(avg[i], loadavg_exp[i], active);
}

void loadavg_seed(unsigned long avg[3], unsigned nr_active)
{
        for (size_t i = 0; i < 3; i++)
                avg[i] = (unsigned long) nr_active * LOADAVG_FIXED_1;
}
