/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Create and lock the pidfile; the lock (an OFD lock, released by the
 * kernel when the process dies) is what tells a second daemon to back off.
 * Returns the fd to keep open, or -errno (logged). */
int pidfile_acquire(const char *path);
void pidfile_release(const char *path, int fd);
