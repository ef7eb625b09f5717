/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The shared mountinfo lookups: the mount on top at a path, in fixture text
 * (stacked mounts, escaped paths) and in our own /proc/self/mountinfo. */
#include <errno.h>
#include <sys/stat.h>

#include "lxcfs/mountinfo.h"
#include "tap.h"

static void check_fixture(void)
{
        _cleanup_free_ char *text = tap_fixture("remount/container.mountinfo");
        _cleanup_mnt_table_ struct libmnt_table *tb = NULL;
        struct libmnt_fs *fs;

        tap_ok(text && mountinfo_parse(text, &tb) == 0, "container mountinfo parses");
        if (!tb)
                return;
        fs = mountinfo_top_at(tb, "/proc/uptime");
        tap_ok(fs && mnt_fs_get_id(fs) == 648, "stacked at /proc/uptime: the one on top (648)");
        fs = mountinfo_top_at(tb, "/var/lib/lxcfs copy");
        tap_ok(fs && mnt_fs_get_id(fs) == 650, "an escaped mount point is found by its real name");
        tap_ok(!mountinfo_top_at(tb, "/usr/lib"), "a path below a mount point is not a mount point");
        tap_ok(!mountinfo_top_at(tb, "/nowhere"), "nothing mounted: NULL");
}

static void check_self(void)
{
        _cleanup_free_ char *type = NULL;
        struct stat st;
        dev_t dev = 0;

        tap_ok(mountinfo_self_top_at("/proc", &type, &dev) == 0 && type && streq(type, "proc"),
               "our /proc is a proc mount");
        tap_ok(stat("/proc", &st) == 0 && st.st_dev == dev, "... with the device stat sees");
        tap_ok(mountinfo_self_top_at("/proc/no-such-mount", NULL, NULL) == -ENOENT,
               "no mount at a path: -ENOENT");
}

int main(void)
{
        check_fixture();
        check_self();
        return tap_done();
}
