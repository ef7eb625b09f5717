/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The service manager's file descriptor store (FileDescriptorStoreMax= in
 * lxcfs.service): where the FUSE connection waits while no lxcfs process
 * runs. Without NOTIFY_SOCKET every call is a no-op. */

struct stored_fds {
        int fuse;                /* -1 when absent */
        int state;
};

/* The fds passed to this start (LISTEN_FDS/LISTEN_FDNAMES), by name; any
 * other passed fd is closed. */
void fdstore_take(struct stored_fds *ret);
int fdstore_keep(int fd, const char *name);
void fdstore_forget(const char *name);
