/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The one way lxcfs detaches a dead mount of its own: at start, before
 * mounting (a daemon killed without cleanup), and when a saved connection
 * cannot be resumed (its connection was aborted first). */

#include <errno.h>
#include <sys/mount.h>
#include <sys/statfs.h>

#include "lxcfs/conn.h"
#include "lxcfs/mountinfo.h"

/* statfs always reaches the FUSE daemon (stat may be answered from the
 * kernel's attribute cache), so it tells a dead connection apart. */
static int probe_connection(const char *path)
{
        struct statfs sfs;

        return statfs(path, &sfs) < 0 ? -errno : 0;
}

static bool top_is(const char *path, dev_t dev)
{
        dev_t top;

        return dev != 0 && mountinfo_self_top_at(path, NULL, &top) == 0 && top == dev;
}

int conn_detach_dead(const char *path, dev_t known_dead)
{
        int n, r;

        /* A killed daemon can leave several mounts stacked (each restart of
         * an older daemon mounted on top): peel them one by one. */
        for (n = 0; n < CONN_MAX_STACKED_MOUNTS; n++) {
                /* The caller's aborted connection is not asked: if the abort
                 * failed, asking would wait for a server that never answers. */
                if (!top_is(path, known_dead)) {
                        r = probe_connection(path);
                        if (r == 0)
                                return n;
                        if (r != -ENOTCONN && r != -ECONNABORTED)
                                return r;
                }
                if (umount2(path, MNT_DETACH) < 0)
                        return -errno;
        }
        return -ELOOP;
}
