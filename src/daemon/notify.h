/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Service manager integration (sd_notify). Everything here is a no-op
 * without NOTIFY_SOCKET, so the daemon runs the same in a terminal. The
 * daemon never reads its own mount: a thread of ours waiting on a request
 * that a dead worker had read would keep this process from exiting until
 * the next process answers it, and systemd starts that one only after
 * this one is gone. */

#include <stddef.h>
#include <stdint.h>

#include "lxcfs/cgroup.h"

/* "cgroup layout v1, controllers: memory cpu cpuset blkio" */
void notify_describe_cgroups(const struct cg_hierarchies *cg, char *buf, size_t size);
void notify_ready(const char *status);
void notify_stopping(const char *status);
/* Half of WatchdogSec=, or 0 when the watchdog is off. */
uint64_t notify_watchdog_interval_usec(void);
void notify_watchdog(void);
