/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The new mount API through syscall(2): glibc 2.36's <sys/mount.h> wrappers
 * clash with <linux/mount.h>, and Debian 12's headers predate
 * MOVE_MOUNT_BENEATH. Errors come back as -errno.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef OPEN_TREE_CLOEXEC
#define OPEN_TREE_CLOEXEC O_CLOEXEC
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif
#ifndef MOVE_MOUNT_T_EMPTY_PATH
#define MOVE_MOUNT_T_EMPTY_PATH 0x00000040
#endif
#ifndef MOVE_MOUNT_BENEATH
#define MOVE_MOUNT_BENEATH 0x00000200
#endif
#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
#define MOUNT_ATTR_NOSUID 0x00000002
#define MOUNT_ATTR_NODEV  0x00000004
#define MOUNT_ATTR_NOEXEC 0x00000008
#endif
#ifndef RESOLVE_NO_MAGICLINKS
#define RESOLVE_NO_XDEV       0x01
#define RESOLVE_NO_MAGICLINKS 0x02
#define RESOLVE_NO_SYMLINKS   0x04
#define RESOLVE_BENEATH       0x08
#define RESOLVE_IN_ROOT       0x10
#endif

#ifndef __NR_open_tree
#define __NR_open_tree 428
#endif
#ifndef __NR_move_mount
#define __NR_move_mount 429
#endif
#ifndef __NR_openat2
#define __NR_openat2 437
#endif
#ifndef __NR_mount_setattr
#define __NR_mount_setattr 442
#endif

struct remount_open_how {
        uint64_t flags;
        uint64_t mode;
        uint64_t resolve;
};

struct remount_mount_attr {
        uint64_t attr_set;
        uint64_t attr_clr;
        uint64_t propagation;
        uint64_t userns_fd;
};

/* Failure injection for tests: LXCFS_REMOUNT_TEST_NO_OPEN_TREE=1 makes
 * open_tree() report ENOSYS, as on kernels before 5.2. */
extern int remount_test_no_open_tree;

static inline int sys_open_tree(int dfd, const char *path, unsigned flags)
{
        if (remount_test_no_open_tree)
                return -ENOSYS;
        long r = syscall(__NR_open_tree, dfd, path, flags);
        return r < 0 ? -errno : (int) r;
}

static inline int sys_move_mount(int from_dfd, const char *from_path,
                                 int to_dfd, const char *to_path, unsigned flags)
{
        return syscall(__NR_move_mount, from_dfd, from_path, to_dfd, to_path, flags) < 0 ? -errno : 0;
}

static inline int sys_mount_setattr(int dfd, const char *path, unsigned flags,
                                    struct remount_mount_attr *attr)
{
        return syscall(__NR_mount_setattr, dfd, path, flags, attr, sizeof(*attr)) < 0 ? -errno : 0;
}

static inline int sys_openat2(int dfd, const char *path, struct remount_open_how *how)
{
        long r = syscall(__NR_openat2, dfd, path, how, sizeof(*how));
        return r < 0 ? -errno : (int) r;
}
