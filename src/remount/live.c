/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lxcfs/fileio.h"
#include "lxcfs/macro.h"
#include "lxcfs/remount.h"
#include "mount-api.h"
#include "remount-internal.h"

int remount_test_no_open_tree;

void remount_live_done(struct remount_live *live)
{
        free(live->mountpoint);
        free(live->others);
        closep(&live->fd);
        closep(&live->proc_fd);
        *live = (struct remount_live) REMOUNT_LIVE_INIT;
}

/* The mount readers of mountpoint see: the one nobody sits on top of. */
static struct libmnt_fs *find_top_mount(struct libmnt_table *tb, const char *path)
{
        _cleanup_mnt_iter_ struct libmnt_iter *it = mnt_new_iter(MNT_ITER_BACKWARD);
        struct libmnt_fs *fs;

        while (it && mnt_table_next_fs(tb, it, &fs) == 0) {
                const char *t = mnt_fs_get_target(fs);

                if (t && streq(t, path) && !remount_is_overmounted(tb, fs))
                        return fs;
        }
        return NULL;
}

/* Other lxcfs instances mounted here (another mountpoint): their entries in
 * containers are theirs, whether or not they still run. */
static int collect_others(struct libmnt_table *tb, struct libmnt_fs *live_fs, struct remount_live *live)
{
        _cleanup_mnt_iter_ struct libmnt_iter *it = mnt_new_iter(MNT_ITER_FORWARD);
        struct libmnt_fs *fs;

        if (!it)
                return -ENOMEM;
        while (mnt_table_next_fs(tb, it, &fs) == 0) {
                const char *type = mnt_fs_get_fstype(fs), *root = mnt_fs_get_root(fs);
                const char *target = mnt_fs_get_target(fs);
                dev_t *p;

                if (fs == live_fs || !type || !streq(type, LXCFS_FSTYPE) || !root || !streq(root, "/"))
                        continue;
                if (mnt_fs_get_devno(fs) == live->dev || !target || streq(target, live->mountpoint))
                        continue;
                if (remount_is_overmounted(tb, fs))
                        continue;
                p = realloc(live->others, (live->n_others + 1) * sizeof(*p));
                if (!p)
                        return -ENOMEM;
                live->others = p;
                live->others[live->n_others++] = mnt_fs_get_devno(fs);
        }
        return 0;
}

static int check_alive(int fd, int want_mount_id)
{
        struct statx stx;

        /* FORCE_SYNC makes FUSE ask the daemon: a dead one answers ENOTCONN. */
        if (statx(fd, "", AT_EMPTY_PATH | AT_STATX_FORCE_SYNC, STATX_TYPE | STATX_MNT_ID, &stx) < 0)
                return -errno;
        if ((stx.stx_mask & STATX_MNT_ID) && stx.stx_mnt_id != (uint64_t) want_mount_id)
                return -ESTALE;
        return 0;
}

int remount_live_open(const char *mountpoint, struct remount_live *ret)
{
        _cleanup_(remount_live_done) struct remount_live live = REMOUNT_LIVE_INIT;
        _cleanup_mnt_table_ struct libmnt_table *tb = NULL;
        _cleanup_free_ char *text = NULL;
        struct libmnt_fs *fs;
        const char *type;
        int r;

        live.mountpoint = realpath(mountpoint, NULL);
        if (!live.mountpoint)
                return -errno;

        live.proc_fd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (live.proc_fd < 0)
                return -errno;
        r = read_file_at(live.proc_fd, "self/mountinfo", &text, NULL);
        if (r < 0)
                return r;
        r = mountinfo_parse(text, &tb);
        if (r < 0)
                return r;

        fs = find_top_mount(tb, live.mountpoint);
        if (!fs)
                return -ENOENT;
        type = mnt_fs_get_fstype(fs);
        if (!type || !streq(type, LXCFS_FSTYPE) || !streq(mnt_fs_get_root(fs) ?: "", "/"))
                return -EMEDIUMTYPE;
        live.dev = mnt_fs_get_devno(fs);
        live.attr = remount_attr_from_options(mnt_fs_get_vfs_options(fs));

        live.fd = open(live.mountpoint, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (live.fd < 0)
                return -errno;
        r = check_alive(live.fd, mnt_fs_get_id(fs));
        if (r < 0)
                return r;

        r = collect_others(tb, fs, &live);
        if (r < 0)
                return r;

        *ret = live;
        live = (struct remount_live) REMOUNT_LIVE_INIT;
        return 0;
}

int remount_check_kernel(void)
{
        _cleanup_close_ int fd = -1;

        /* A plain (non-clone) open_tree() is harmless: an O_PATH fd of "/". */
        fd = sys_open_tree(AT_FDCWD, "/", OPEN_TREE_CLOEXEC);
        if (fd == -ENOSYS)
                return -ENOSYS;
        return 0;
}
