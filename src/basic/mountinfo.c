/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lxcfs/fileio.h"
#include "lxcfs/mountinfo.h"

int mountinfo_parse(const char *text, struct libmnt_table **ret)
{
        _cleanup_mnt_table_ struct libmnt_table *tb = NULL;
        _cleanup_fclose_ FILE *f = NULL;
        int r;

        f = fmemopen((void *) text, strlen(text), "r");
        if (!f)
                return -errno;
        tb = mnt_new_table();
        if (!tb)
                return -ENOMEM;
        r = mnt_table_parse_stream(tb, f, "mountinfo");
        if (r < 0)
                return r;
        *ret = steal_pointer(&tb);
        return 0;
}

struct libmnt_fs *mountinfo_top_at(struct libmnt_table *tb, const char *path)
{
        /* The table has no path cache: targets are compared as strings. */
        return mnt_table_find_target(tb, path, MNT_ITER_BACKWARD);
}

int mountinfo_self_top_at(const char *path, char **ret_fstype, dev_t *ret_dev)
{
        _cleanup_mnt_table_ struct libmnt_table *tb = NULL;
        _cleanup_free_ char *text = NULL;
        struct libmnt_fs *fs;
        int r;

        r = read_file_at(AT_FDCWD, "/proc/self/mountinfo", &text, NULL);
        if (r < 0)
                return r;
        r = mountinfo_parse(text, &tb);
        if (r < 0)
                return r;
        fs = mountinfo_top_at(tb, path);
        if (!fs)
                return -ENOENT;
        if (ret_fstype) {
                *ret_fstype = strdup(mnt_fs_get_fstype(fs) ?: "");
                if (!*ret_fstype)
                        return -ENOMEM;
        }
        if (ret_dev)
                *ret_dev = mnt_fs_get_devno(fs);
        return 0;
}
