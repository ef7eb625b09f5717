/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lxcfs-stale-cleanup MOUNTPOINT: the unit's ExecStopPost=. After a clean
 * stop the daemon has unmounted and this does nothing. After a crash or a
 * kill the kernel keeps a dead fuse.lxcfs mount there; detach it, so that
 * the host does not see "Transport endpoint is not connected" until the
 * next start. A mount that still answers belongs to some other running
 * lxcfs and is never touched. */
#include <errno.h>
#include <libmount.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/vfs.h>

#include "lxcfs/log.h"

#define MAX_STACKED 16

static bool topmost_is_lxcfs(const char *path)
{
        struct libmnt_table *tb = mnt_new_table_from_file("/proc/self/mountinfo");
        struct libmnt_fs *fs;
        bool ours = false;

        if (!tb)
                return false;
        fs = mnt_table_find_target(tb, path, MNT_ITER_BACKWARD);
        if (fs && mnt_fs_get_fstype(fs))
                ours = streq(mnt_fs_get_fstype(fs), "fuse.lxcfs");
        mnt_unref_table(tb);
        return ours;
}

/* statfs always goes to the FUSE server (no cache): a dead connection
 * fails with ENOTCONN, a live one answers. */
static int probe(const char *path)
{
        struct statfs sfs;

        return statfs(path, &sfs) < 0 ? -errno : 0;
}

/* systemd tells ExecStopPost= how the main process ended. */
static const char *how_it_ended(void)
{
        const char *code = getenv("EXIT_CODE"), *status = getenv("EXIT_STATUS");
        static char buf[128];

        if (!code || !status)
                return "the daemon exited without unmounting it";
        if (streq(code, "killed") || streq(code, "dumped"))
                snprintf(buf, sizeof(buf), "the daemon was killed by SIG%s", status);
        else
                snprintf(buf, sizeof(buf), "the daemon %s with status %s", code, status);
        return buf;
}

static int cleanup(const char *path)
{
        int n, r;

        for (n = 0; n < MAX_STACKED && topmost_is_lxcfs(path); n++) {
                r = probe(path);
                if (r == 0) {
                        if (n == 0)
                                log_notice("%s is served by another running lxcfs; leaving it mounted.", path);
                        break;
                }
                if (r != -ENOTCONN && r != -ECONNABORTED)
                        return log_error_errno(r, "Cannot tell whether the lxcfs mount at %s is stale: %m. "
                                               "Check it with 'findmnt %s'.", path, path);
                if (umount2(path, MNT_DETACH) < 0)
                        return log_error_errno(errno, "Failed to detach the stale lxcfs mount at %s: %m. "
                                               "Run 'umount -l %s' by hand.", path, path);
        }
        if (n > 0)
                log_notice("Detached the stale lxcfs mount at %s (%s). Containers that still hold "
                           "its files are healed by lxcfs-remount when the service starts again.",
                           path, how_it_ended());
        return 0;
}

int main(int argc, char **argv)
{
        if (argc != 2 || argv[1][0] != '/') {
                fprintf(stderr, "Usage: %s MOUNTPOINT (an absolute path)\n", argv[0]);
                return 2;
        }
        log_open(log_target_auto(), "lxcfs-stale-cleanup");
        log_add_field("LXCFS_MOUNTPOINT", argv[1]);
        return cleanup(argv[1]) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
