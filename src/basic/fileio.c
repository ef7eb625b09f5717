/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lxcfs/fileio.h"
#include "lxcfs/macro.h"
#include "lxcfs/parse.h"

static _Thread_local struct {
        int dirfd;
        char path[1024];
} last_file = { .dirfd = AT_FDCWD };

void fileio_last_reset(void)
{
        last_file.dirfd = AT_FDCWD;
        last_file.path[0] = '\0';
}

void fileio_note(int dirfd, const char *path)
{
        last_file.dirfd = dirfd;
        snprintf(last_file.path, sizeof(last_file.path), "%s", path);
}

const char *fileio_last(char *buf, size_t size)
{
        char link[64];
        ssize_t n = -1;

        if (last_file.dirfd != AT_FDCWD && last_file.path[0] != '/') {
                snprintf(link, sizeof(link), "/proc/self/fd/%d", last_file.dirfd);
                n = readlink(link, buf, size - 1);
        }
        if (n > 0 && (size_t) n < size - 1)
                snprintf(buf + n, size - (size_t) n, "/%s", last_file.path);
        else
                snprintf(buf, size, "%s", last_file.path);
        return buf;
}

static ssize_t read_all(int fd, char *buf, size_t size)
{
        size_t got = 0;

        while (got < size) {
                ssize_t n = read(fd, buf + got, size - got);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                got += (size_t) n;
        }
        return (ssize_t) got;
}

int read_file_at(int dirfd, const char *path, char **ret, size_t *ret_len)
{
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *buf = NULL;
        size_t cap = 4096, len = 0;

        fileio_note(dirfd, path);
        fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;

        /* proc and cgroup files report size 0: grow until a short read. */
        for (;;) {
                char *p = realloc(buf, cap + 1);
                ssize_t n;

                if (!p)
                        return -ENOMEM;
                buf = p;
                n = read_all(fd, buf + len, cap - len);
                if (n < 0)
                        return (int) n;
                len += (size_t) n;
                if (len < cap)
                        break;
                if (cap >= 64u << 20)
                        return -EFBIG;
                cap *= 2;
        }
        buf[len] = '\0';
        if (ret_len)
                *ret_len = len;
        *ret = steal_pointer(&buf);
        return 0;
}

ssize_t read_file_into_at(int dirfd, const char *path, char *buf, size_t size)
{
        _cleanup_close_ int fd = -1;
        ssize_t n;

        if (size == 0)
                return -EINVAL;
        fileio_note(dirfd, path);
        fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        n = read_all(fd, buf, size - 1);
        if (n < 0)
                return n;
        buf[n] = '\0';
        if ((size_t) n == size - 1) {
                char extra;
                if (read(fd, &extra, 1) == 1)
                        return -EFBIG;
        }
        return n;
}

int read_u64_at(int dirfd, const char *path, uint64_t *ret)
{
        char buf[64];
        ssize_t n;

        n = read_file_into_at(dirfd, path, buf, sizeof(buf));
        if (n < 0)
                return (int) n;
        return parse_u64(buf, ret);
}

int opendir_dup(int dirfd, DIR **ret)
{
        _cleanup_close_ int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d;

        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d)
                return -errno;
        fd = -1; /* owned by d now */
        *ret = d;
        return 0;
}
