/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <libmount.h>
#include <stdbool.h>

#include "lxcfs/remount.h"

#include "lxcfs/macro.h"
#include "lxcfs/mountinfo.h"

/* Another mount sits at the same mount point, on top of fs. */
bool remount_is_overmounted(struct libmnt_table *tb, struct libmnt_fs *fs);

/* MOUNT_ATTR_{RDONLY,NOSUID,NODEV,NOEXEC} set in a mount's options. */
uint64_t remount_attr_from_options(const char *vfs_opts);

/* An absolute path without "." or ".." components. */
bool remount_root_is_valid(const char *root);

/* Clone the live file or directory e->root stands for, with e's flags added:
 * an fd for move_mount(), or -errno (-ENOSYS: no open_tree()). */
int remount_clone_entry(const struct remount_live *live, const struct remount_entry *e);

/* Resolve a mountinfo path inside root_fd without following any symlink:
 * an O_PATH fd, or -errno (-ELOOP: a symlink is on the way). */
int remount_open_target(int root_fd, const char *path);

/* The mount id of what fd refers to, without asking its filesystem. */
int remount_fd_mount_id(int proc_fd, int fd, int *ret);

struct remount_heal_flags {
        bool no_beneath;       /* skip MOVE_MOUNT_BENEATH */
        bool fail_attach;      /* failure injection (tests) */
        bool restore;          /* nothing to replace: the entry is gone, attach one */
};

/* Replace the stale mount at target_path (inside root_fd, no symlinks
 * followed), which must still be mount_id, by clone_fd; or, with
 * flags->restore, attach clone_fd at target_path, unless a FUSE mount is
 * there again. Runs in the target mount namespace with the cwd at our own
 * /proc (proc_fd). */
int remount_heal_entry(int proc_fd, int root_fd, const char *target_path, int mount_id,
                       int clone_fd, const struct remount_heal_flags *flags,
                       enum remount_method *ret_method);
