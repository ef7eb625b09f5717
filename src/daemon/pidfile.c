/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lxcfs/log.h"
#include "lxcfs/macro.h"
#include "pidfile.h"

static int lock_whole(int fd)
{
        struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };

        return fcntl(fd, F_OFD_SETLK, &fl) < 0 ? -errno : 0;
}

int pidfile_acquire(const char *path)
{
        _cleanup_close_ int fd = -1;
        char buf[32] = "";
        struct stat st;
        ssize_t n;
        int r, len;

        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return log_error_errno(errno, "Failed to open pidfile %s: %m", path);

        r = lock_whole(fd);
        if (r == -EAGAIN || r == -EACCES) {
                n = pread(fd, buf, sizeof(buf) - 1, 0);
                buf[n > 0 ? n : 0] = '\0';
                buf[strcspn(buf, "\n")] = '\0';
                return log_error_errno(EBUSY,
                        "Another lxcfs (pid %s) is running with pidfile %s; stop it first, "
                        "or give this instance its own --pidfile.", buf[0] ? buf : "unknown", path);
        }
        if (r < 0)
                return log_error_errno(r, "Failed to lock pidfile %s: %m", path);

        if (fstat(fd, &st) == 0 && st.st_size > 0)
                log_notice("Replacing the pidfile %s left by an lxcfs that did not exit cleanly.", path);

        len = snprintf(buf, sizeof(buf), "%d\n", (int) getpid());
        if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t) len, 0) != len)
                return log_error_errno(errno, "Failed to write pidfile %s: %m", path);
        return steal_fd(&fd);
}

void pidfile_release(const char *path, int fd)
{
        if (fd < 0)
                return;
        /* Unlink while still holding the lock, so a starting daemon never
         * sees our pid in a file it has just locked. */
        unlink(path);
        close(fd);
}
