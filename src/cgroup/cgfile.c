/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reading cgroup files below a hierarchy fd, the same on v1 and v2: a cgroup
 * is addressed as a prefix of the reader's relative path, so walking up to
 * the root is a matter of shortening that prefix (no ".." lookups). */

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup-internal.h"
#include "lxcfs/fileio.h"
#include "lxcfs/macro.h"
#include "lxcfs/parse.h"

size_t cg_parent_len(const char *rel, size_t len)
{
        while (len > 0 && rel[len - 1] != '/')
                len--;
        while (len > 0 && rel[len - 1] == '/')
                len--;
        return len;
}

int cg_level_file(char *buf, size_t size, const char *rel, size_t len, const char *file)
{
        int n;

        if (len == 0)
                n = snprintf(buf, size, "%s", file);
        else
                n = snprintf(buf, size, "%.*s/%s", (int) len, rel, file);
        if (n < 0 || (size_t) n >= size) {
                fileio_note(-1, file);
                return -ENAMETOOLONG;
        }
        return 0;
}

ssize_t cg_read_level(int fd, const char *rel, size_t len, const char *file, char *buf, size_t size)
{
        char path[PATH_MAX];
        int r;

        r = cg_level_file(path, sizeof(path), rel, len, file);
        if (r < 0)
                return r;
        return read_file_into_at(fd, path, buf, size);
}

int cg_read_level_u64(int fd, const char *rel, size_t len, const char *file, uint64_t *ret)
{
        char buf[64];
        ssize_t n;

        n = cg_read_level(fd, rel, len, file, buf, sizeof(buf));
        if (n < 0)
                return (int) n;
        return parse_u64(buf, ret);
}

int cg_read_text(int fd, const char *path, char *stack_buf, size_t size, char **heap, const char **ret)
{
        ssize_t n;
        int r;

        n = read_file_into_at(fd, path, stack_buf, size);
        if (n >= 0) {
                *ret = stack_buf;
                return 0;
        }
        if (n != -EFBIG)
                return (int) n;
        r = read_file_at(fd, path, heap, NULL);
        if (r < 0)
                return r;
        *ret = *heap;
        return 0;
}

int cg_split_key_u64(const char *line, size_t len, const char **ret_key, size_t *ret_key_len, uint64_t *ret_value)
{
        const char *sp = memchr(line, ' ', len);
        char num[32];
        size_t vl;

        if (!sp || sp == line)
                return -EINVAL;
        vl = len - (size_t) (sp + 1 - line);
        if (vl == 0 || vl >= sizeof(num))
                return -EINVAL;
        memcpy(num, sp + 1, vl);
        num[vl] = '\0';
        *ret_key = line;
        *ret_key_len = (size_t) (sp - line);
        /* "max" is not a count: reject it here, parse_u64 would accept it. */
        if (num[0] < '0' || num[0] > '9')
                return -EINVAL;
        return parse_u64(num, ret_value);
}
