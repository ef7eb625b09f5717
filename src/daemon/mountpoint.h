/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Get MOUNTPOINT ready for a fresh mount: create it, detach what a killed
 * daemon left there, refuse to shadow a live lxcfs. Each repair is logged
 * once, in a sentence that says what was found. */
int mountpoint_prepare(const char *path);

/* After the mount: the entries runtimes may have created underneath while
 * we were down (e.g. proc/meminfo as a directory) are hidden now; warn. */
void mountpoint_warn_shadowed(const char *path, int under_fd);

/* Open the directory under the mount-to-be, to inspect it afterwards. */
int mountpoint_open_under(const char *path);
