/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fresh binds of the live files at paths that have none yet: what a
 * container hook does as the container is created. The same clone and
 * symlink-free attach as a heal's restore.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "lxcfs/macro.h"
#include "lxcfs/remount.h"
#include "mount-api.h"
#include "remount-internal.h"

void remount_clone_files(const struct remount_live *live, const char *const *rel, size_t n, int *fds)
{
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *root = NULL;
                struct remount_entry e = {
                        .attr = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
                                MOUNT_ATTR_NOEXEC,
                };

                if (asprintf(&root, "/%s", rel[i]) < 0) {
                        fds[i] = -ENOMEM;
                        continue;
                }
                e.root = root;
                fds[i] = remount_clone_entry(live, &e);
        }
}

void remount_attach_files(int proc_fd, int root_fd, const char *const *rel, const int *fds, size_t n,
                          int *results)
{
        const struct remount_heal_flags flags = { .restore = true };

        for (size_t i = 0; i < n; i++) {
                enum remount_method method;

                results[i] = fds[i] < 0 ? fds[i] :
                        remount_heal_entry(proc_fd, root_fd, rel[i], 0, fds[i], &flags, &method);
        }
}
