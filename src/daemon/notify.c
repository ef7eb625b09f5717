/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <systemd/sd-daemon.h>

#include "notify.h"

void notify_describe_cgroups(const struct cg_hierarchies *cg, char *buf, size_t size)
{
        size_t len = (size_t) snprintf(buf, size, "cgroup layout %s, controllers:",
                                       cg_layout_name(cg->layout));
        bool any = false;

        for (enum cg_controller c = 0; c < _CG_CONTROLLER_MAX && len < size; c++)
                if (cg_has_controller(cg, c)) {
                        len += (size_t) snprintf(buf + len, size - len, " %s", cg_controller_name(c));
                        any = true;
                }
        if (!any && len < size)
                snprintf(buf + len, size - len, " none");
}

void notify_ready(const char *status)
{
        (void) sd_notifyf(0, "READY=1\nSTATUS=%s", status);
}

void notify_stopping(const char *status)
{
        (void) sd_notifyf(0, "STOPPING=1\nSTATUS=%s", status);
}

uint64_t notify_watchdog_interval_usec(void)
{
        uint64_t usec = 0;

        if (sd_watchdog_enabled(0, &usec) <= 0)
                return 0;
        return usec / 2;
}

void notify_watchdog(void)
{
        (void) sd_notify(0, "WATCHDOG=1");
}
