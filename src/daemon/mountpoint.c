/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "lxcfs/conn.h"
#include "lxcfs/log.h"
#include "lxcfs/macro.h"
#include "lxcfs/mountinfo.h"
#include "lxcfs/vfile.h"
#include "mountpoint.h"

#define FUSE_SUPER_MAGIC 0x65735546

static int mkdir_parents(const char *path)
{
        _cleanup_free_ char *copy = strdup(path);

        if (!copy)
                return -ENOMEM;
        for (char *p = copy + 1; *p; p++) {
                if (*p != '/')
                        continue;
                *p = '\0';
                if (mkdir(copy, 0755) < 0 && errno != EEXIST)
                        return -errno;
                *p = '/';
        }
        if (mkdir(copy, 0755) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

/* statfs always reaches the FUSE daemon (stat may be answered from the
 * kernel's attribute cache), so it tells a dead connection apart. */
static int probe_connection(const char *path)
{
        struct statfs sfs;

        return statfs(path, &sfs) < 0 ? -errno : 0;
}

static int detach_stale(const char *path)
{
        int n;

        n = conn_detach_dead(path, 0);
        if (n == -ELOOP)
                return log_error_errno(ELOOP, "More than %d stale mounts are stacked at %s; giving up.",
                                       CONN_MAX_STACKED_MOUNTS, path);
        if (n < 0)
                return log_error_errno(n,
                        "Failed to detach the stale FUSE mount at %s: %m. "
                        "Try 'umount -l %s' and start again.", path, path);
        if (n > 0)
                log_notice("Detached %d stale FUSE mount%s at %s left by a daemon that did not "
                           "exit cleanly; containers that still hold its files need "
                           "lxcfs-remount.", n, n == 1 ? "" : "s", path);
        return 0;
}

static void warn_if_not_empty(const char *path)
{
        _cleanup_closedir_ DIR *d = opendir(path);
        struct dirent *de;

        if (!d)
                return;
        while ((de = readdir(d))) {
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                log_warning("Mountpoint %s is not empty (it holds '%s'); mounting over it anyway. "
                            "Its contents stay hidden until lxcfs stops.", path, de->d_name);
                return;
        }
}

int mountpoint_prepare(const char *path)
{
        _cleanup_free_ char *type = NULL;
        struct statfs sfs;
        struct stat st;
        int r;

        if (path[0] != '/')
                return log_error_errno(EINVAL, "Mountpoint '%s' is not an absolute path.", path);

        if (stat(path, &st) < 0 || probe_connection(path) < 0) {
                if (errno == ENOENT) {
                        r = mkdir_parents(path);
                        if (r < 0)
                                return log_error_errno(r, "Failed to create mountpoint %s: %m", path);
                        log_info("Created mountpoint %s.", path);
                        return 0;
                }
                if (errno != ENOTCONN && errno != ECONNABORTED)
                        return log_error_errno(errno, "Cannot use mountpoint %s: %m", path);
        }

        r = detach_stale(path);
        if (r < 0)
                return r;

        if (stat(path, &st) < 0)
                return log_error_errno(errno, "Cannot use mountpoint %s: %m", path);
        if (!S_ISDIR(st.st_mode))
                return log_error_errno(ENOTDIR, "Mountpoint %s is not a directory.", path);

        /* A live FUSE mount of ours answers stat: another daemon serves it. */
        if (statfs(path, &sfs) == 0 && sfs.f_type == FUSE_SUPER_MAGIC) {
                if (mountinfo_self_top_at(path, &type, NULL) == 0 && streq(type, "fuse.lxcfs"))
                        return log_error_errno(EBUSY,
                                "%s is already served by a running lxcfs; stop it first "
                                "(systemctl stop lxcfs) or choose another mountpoint.", path);
        }

        warn_if_not_empty(path);
        return 0;
}

int mountpoint_open_under(const char *path)
{
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        return fd < 0 ? -errno : fd;
}

void mountpoint_warn_shadowed(const char *path, int under_fd)
{
        const struct vfile *f;
        struct stat st;

        /* Runtimes that bind-mount a missing source create it as a directory:
         * the classic "not a directory" failure after lxcfs was down. */
        for (size_t i = 0; (f = vfile_row(i)); i++) {
                if (fstatat(under_fd, f->path, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                if (S_ISDIR(st.st_mode))
                        log_warning("Found %s/%s as a directory under the mount (a container runtime "
                                    "created it while lxcfs was down); it is hidden now and the file "
                                    "is served again. Containers created meanwhile hold that empty "
                                    "directory and need to be recreated.", path, f->path);
        }
}
