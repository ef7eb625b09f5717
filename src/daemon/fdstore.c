/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "fdstore.h"
#include "lxcfs/log.h"
#include "lxcfs/macro.h"

void fdstore_take(struct stored_fds *ret)
{
        char **names = NULL;
        int n;

        *ret = (struct stored_fds) { .fuse = -1, .state = -1 };
        n = sd_listen_fds_with_names(true, &names);
        if (n < 0)
                log_warning_errno(n, "Ignoring the file descriptors passed by the service manager: %m");
        for (int i = 0; i < MAX(n, 0); i++) {
                int fd = SD_LISTEN_FDS_START + i;
                const char *name = names && names[i] ? names[i] : "";

                (void) fcntl(fd, F_SETFD, FD_CLOEXEC);
                if (streq(name, "fuse") && ret->fuse < 0)
                        ret->fuse = fd;
                else if (streq(name, "state") && ret->state < 0)
                        ret->state = fd;
                else {
                        log_debug("Closing passed fd %d named '%s'.", fd, name);
                        close(fd);
                }
        }
        if (names)
                for (int i = 0; names[i]; i++)
                        free(names[i]);
        free(names);
}

int fdstore_keep(int fd, const char *name)
{
        _cleanup_free_ char *msg = NULL;
        int r;

        if (!getenv("NOTIFY_SOCKET"))
                return 0;
        if (asprintf(&msg, "FDSTORE=1\nFDNAME=%s", name) < 0)
                return -ENOMEM;
        r = sd_pid_notify_with_fds(0, false, msg, &fd, 1);
        if (r < 0)
                return log_warning_errno(r, "Failed to store the %s fd with the service manager: %m; "
                                         "a restart will mount afresh.", name);
        return 0;
}

void fdstore_forget(const char *name)
{
        if (getenv("NOTIFY_SOCKET"))
                (void) sd_notifyf(false, "FDSTOREREMOVE=1\nFDNAME=%s", name);
}
