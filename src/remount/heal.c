/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Rebinding one stale entry. The clone is taken in our own namespace
 * (open_tree() only clones mounts of the caller's namespace); a worker
 * process (pool.c), single-threaded as setns(CLONE_NEWNS) requires, enters
 * the container's namespace and attaches it. Nothing of the container is
 * executed: the worker only resolves paths and calls mount syscalls.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "lxcfs/macro.h"
#include "lxcfs/remount.h"
#include "mount-api.h"
#include "remount-internal.h"

int remount_clone_entry(const struct remount_live *live, const struct remount_entry *e)
{
        const char *rel = e->root + strspn(e->root, "/");
        _cleanup_close_ int fd = -1;

        fd = sys_open_tree(live->fd, rel, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_SYMLINK_NOFOLLOW |
                                          (*rel ? 0 : AT_EMPTY_PATH));
        if (fd < 0)
                return fd;
        /* The clone has the live mount's flags; add what the old bind had.
         * And make it private: a clone of a shared mount joins its peer
         * group, which would tie every container's binds to the host's
         * mount and to each other, so that detaching a stale mount in one
         * namespace propagated into the others. */
        struct remount_mount_attr attr = {
                .attr_set = e->attr & ~live->attr,
                .propagation = MS_PRIVATE,
        };
        int r = sys_mount_setattr(fd, "", AT_EMPTY_PATH, &attr);
        /* Before Linux 5.12 there is no mount_setattr(): the clone keeps
         * the live mount's propagation, which is all such kernels allow. */
        if (r == -ENOSYS && attr.attr_set == 0)
                r = 0;
        if (r < 0)
                return r;
        return steal_fd(&fd);
}

/* Fallback for kernels without openat2() (< 5.6): one component at a time,
 * never following a symlink. */
static int open_walk_nofollow(int root_fd, const char *path)
{
        _cleanup_close_ int dir = fcntl(root_fd, F_DUPFD_CLOEXEC, 3);
        _cleanup_free_ char *copy = strdup(path);
        char *save = NULL;

        if (dir < 0)
                return -errno;
        if (!copy)
                return -ENOMEM;
        for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
                struct statx stx;
                int next;

                if (streq(c, "..") || streq(c, "."))
                        return -EINVAL;
                next = openat(dir, c, O_PATH | O_NOFOLLOW | O_CLOEXEC);
                if (next < 0)
                        return -errno;
                closep(&dir);
                dir = next;
                if (statx(dir, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW | AT_STATX_DONT_SYNC,
                          STATX_TYPE, &stx) < 0)
                        return -errno;
                if (S_ISLNK(stx.stx_mode))
                        return -ELOOP;
        }
        return steal_fd(&dir);
}

/* Resolve a mountinfo path inside the namespace's root; a symlink anywhere on
 * the way is refused (-ELOOP), so a container cannot redirect the mount. */
int remount_open_target(int root_fd, const char *path)
{
        struct remount_open_how how = {
                .flags = O_PATH | O_CLOEXEC,
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
        };
        int fd = sys_openat2(root_fd, path, &how);

        if (fd == -ENOSYS)
                fd = open_walk_nofollow(root_fd, path);
        return fd;
}

static int fd_mount_id_fdinfo(int proc_fd, int fd, int *ret)
{
        char path[64], buf[1024];
        _cleanup_close_ int info = -1;
        ssize_t n;
        const char *p;

        snprintf(path, sizeof(path), "self/fdinfo/%d", fd);
        info = openat(proc_fd, path, O_RDONLY | O_CLOEXEC);
        if (info < 0)
                return -errno;
        n = read(info, buf, sizeof(buf) - 1);
        if (n < 0)
                return -errno;
        buf[n] = '\0';
        p = strstr(buf, "mnt_id:");
        if (!p || sscanf(p, "mnt_id: %d", ret) != 1)
                return -EINVAL;
        return 0;
}

int remount_fd_mount_id(int proc_fd, int fd, int *ret)
{
        struct statx stx;

        /* DONT_SYNC: the stale mount's daemon is gone, asking it would fail. */
        if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW | AT_STATX_DONT_SYNC,
                  STATX_MNT_ID, &stx) == 0 && (stx.stx_mask & STATX_MNT_ID)) {
                *ret = (int) stx.stx_mnt_id;
                return 0;
        }
        return fd_mount_id_fdinfo(proc_fd, fd, ret);
}

/* Detach exactly the mount fd refers to, through our own /proc/self/fd magic
 * link (relative to the cwd, our /proc: see remount_heal_entry()): no path
 * inside the container is looked up again. */
static int detach_fd(int fd)
{
        char path[64];

        snprintf(path, sizeof(path), "self/fd/%d", fd);
        return umount2(path, MNT_DETACH) < 0 ? -errno : 0;
}

static int attach(int clone_fd, int target_fd, unsigned extra)
{
        return sys_move_mount(clone_fd, "", target_fd, "",
                              MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH | extra);
}

/* How often a beneath attach that lost a race with the kernel is tried
 * before falling back to detach-then-attach. */
#define BENEATH_ATTEMPTS 5

#ifndef FUSE_SUPER_MAGIC
#define FUSE_SUPER_MAGIC 0x65735546
#endif

/* The entry at target was lost during the heal (unmounted by propagation
 * from another namespace, or an attach that failed after its detach):
 * attach a fresh one, unless a FUSE mount is there again by now. */
static int restore(int target, int clone_fd, const struct remount_heal_flags *flags,
                   enum remount_method *ret_method)
{
        struct statfs sfs;

        /* A dead FUSE mount answers ENOTCONN: it is one too. */
        if (fstatfs(target, &sfs) < 0)
                return errno == ENOTCONN || errno == ECONNABORTED ? -EEXIST : -errno;
        if (sfs.f_type == FUSE_SUPER_MAGIC)
                return -EEXIST;
        if (flags->fail_attach)
                return -EIO;
        *ret_method = REMOUNT_METHOD_RESTORE;
        return attach(clone_fd, target, 0);
}

int remount_heal_entry(int proc_fd, int root_fd, const char *target_path, int mount_id,
                       int clone_fd, const struct remount_heal_flags *flags,
                       enum remount_method *ret_method)
{
        _cleanup_close_ int target = -1;
        int id, r;

        target = remount_open_target(root_fd, target_path);
        if (target < 0)
                return target;
        if (flags->restore)
                return restore(target, clone_fd, flags, ret_method);
        r = remount_fd_mount_id(proc_fd, target, &id);
        if (r < 0)
                return r;
        if (id != mount_id)
                return -ESTALE;

        /* Fresh mount beneath, then drop the stale one: readers go from the
         * dead file straight to the live one, never to what lies under. */
        for (int attempt = 0; !flags->no_beneath && !flags->fail_attach && attempt < BENEATH_ATTEMPTS;
             attempt++) {
                r = attach(clone_fd, target, MOVE_MOUNT_BENEATH);
                if (r == 0) {
                        *ret_method = REMOUNT_METHOD_BENEATH;
                        return detach_fd(target);
                }
                /* EINVAL: kernel < 6.5, a locked top mount, or a parent that is
                 * the namespace root; the fallbacks below sort these out. */
                if (r == -EINVAL)
                        break;
                /* ENOENT: the kernel saw the mountpoint change under it while
                 * taking its locks (seen under load); that passes. */
                if (r != -ENOENT)
                        return r;
        }

        r = detach_fd(target);
        if (r == 0) {
                closep(&target);
                *ret_method = REMOUNT_METHOD_REPLACE;
                if (flags->fail_attach)
                        return -EIO;
                target = remount_open_target(root_fd, target_path);
                if (target < 0)
                        return target;
                return attach(clone_fd, target, 0);
        }
        /* MNT_LOCKED (copied into a user namespace): it cannot go, cover it. */
        if (r != -EINVAL)
                return r;
        *ret_method = REMOUNT_METHOD_ON_TOP;
        return attach(clone_fd, target, 0);
}
