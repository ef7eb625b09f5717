/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Service manager integration (sd_notify). Everything here is a no-op
 * without NOTIFY_SOCKET, so the daemon runs the same in a terminal. */

#include "lxcfs/cgroup.h"

/* Called right before the request loop starts. A thread (with all signals
 * blocked, so SIGTERM still reaches the loop) waits until a file under
 * mountpoint answers, which needs the FUSE handshake and a live loop, then
 * sends READY=1 and STATUS= (mountpoint, cgroup layout, controllers).
 * With WatchdogSec= it then reads that file every WATCHDOG_USEC/2 and sends
 * WATCHDOG=1 only when the read succeeded: a wedged loop stops the pings. */
int notify_start(const char *mountpoint, const struct cg_hierarchies *cg);
/* Called when the loop has exited: STOPPING=1, stops the thread. Does not
 * block for more than 2 s even if the thread is stuck on the mount. */
void notify_stopping(void);
