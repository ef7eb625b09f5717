/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

/* On SIGTERM: is the service manager restarting our unit (restart,
 * try-restart, reload-or-restart, a package upgrade's restart), or
 * stopping it? Asked over systemd's private bus socket. false when there
 * is no service manager or no job: a plain stop. */
bool unit_job_is_restart(void);
