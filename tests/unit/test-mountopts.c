/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* -o of the daemon: flags, fuse data, ignored options, refusals. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "lxcfs/mountopts.h"
#include "tap.h"

static void expect(const char *opts, unsigned long flags, const char *data)
{
        struct mount_opts o;
        char *bad = NULL;
        int r = mount_opts_parse(opts, &o, &bad);

        tap_ok(r == 0 && o.flags == flags && ((!data && !o.data) || (data && o.data && strcmp(data, o.data) == 0)),
               "-o '%s': flags %#lx, data '%s' (got %d, %#lx, '%s')", opts ?: "(none)", flags,
               data ?: "", r, o.flags, o.data ?: "");
        mount_opts_done(&o);
        free(bad);
}

static void refused(const char *opts, const char *want_bad)
{
        struct mount_opts o;
        char *bad = NULL;
        int r = mount_opts_parse(opts, &o, &bad);

        tap_ok(r == -EINVAL && bad && strcmp(bad, want_bad) == 0, "-o '%s' is refused, naming '%s' (%d, '%s')",
               opts, want_bad, r, bad ?: "");
        mount_opts_done(&o);
        free(bad);
}

int main(void)
{
        expect(NULL, 0, NULL);
        expect("", 0, NULL);
        expect("ro,noexec", MS_RDONLY | MS_NOEXEC, NULL);
        expect("ro,rw", 0, NULL);
        expect("nosuid,suid,nodev", MS_NODEV, NULL);
        expect("allow_other,nonempty,fsname=x,subtype=y,direct_io", 0, NULL);
        expect("default_permissions,max_read=131072", 0, "default_permissions,max_read=131072");
        expect("noatime,context=system_u:object_r:container_file_t:s0", MS_NOATIME,
               "context=system_u:object_r:container_file_t:s0");
        refused("ro,bogus", "bogus");
        refused("max_read=abc", "max_read=abc");
        refused("max_read=", "max_read=");
        refused("fd=3", "fd=3");
        refused("rootmode=40000", "rootmode=40000");
        return tap_done();
}
