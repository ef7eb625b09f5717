/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Which cgroup a reading process is in, from /proc/PID/cgroup.
 * v1: "N:ctrl[,ctrl]:/path" lines; a path applies to each listed controller
 *     that we use from v1 ("name=systemd" and the like are ignored).
 * v2: the "0::/path" line applies to every controller served by cgroup2.
 * The paths are relative to our own cgroup namespace root, which is what is
 * mounted, so they are used as they are below each hierarchy fd. */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cgroup-internal.h"
#include "lxcfs/fileio.h"
#include "lxcfs/log.h"
#include "lxcfs/macro.h"
#include "lxcfs/parse.h"

/* A reader outside our cgroup namespace shows up as "/../../x": such a path
 * would climb out of the hierarchy fd (and, under a fixture or bind mount,
 * out of cgroupfs altogether). Components "." and ".." never occur in a real
 * cgroup name, so any path holding one is treated as unknown. */
static bool path_is_safe(const char *p, size_t n)
{
        size_t i = 0;

        if (n == 0 || p[0] != '/')
                return false;
        while (i < n) {
                size_t start, cl;

                while (i < n && p[i] == '/')
                        i++;
                start = i;
                while (i < n && p[i] != '/')
                        i++;
                cl = i - start;
                if ((cl == 1 && p[start] == '.') || (cl == 2 && p[start] == '.' && p[start + 1] == '.'))
                        return false;
        }
        return true;
}

/* Drop trailing '/' so that the relative path "a/b" has clean parents. */
static char *dup_path(const char *p, size_t n)
{
        while (n > 1 && p[n - 1] == '/')
                n--;
        return strndup(p, n);
}

static int set_path(struct cg_reader *r, enum cg_controller c, const char *p, size_t n)
{
        char *copy;

        if (r->path[c])
                return 0; /* the first line wins, like the kernel's own order */
        if (!path_is_safe(p, n)) {
                log_debug("Reader's %s cgroup '%.*s' is outside our cgroup namespace",
                          cg_controller_name(c), (int) n, p);
                return 0;
        }
        copy = dup_path(p, n);
        if (!copy)
                return -ENOMEM;
        r->path[c] = copy;
        return 0;
}

static int parse_line(const struct cg_hierarchies *h, const char *line, size_t len, struct cg_reader *r)
{
        const char *c1, *c2, *ctrls, *path;
        size_t ctrls_len, path_len;
        int ret;

        c1 = memchr(line, ':', len);
        if (!c1)
                return -EINVAL;
        c2 = memchr(c1 + 1, ':', len - (size_t) (c1 + 1 - line));
        if (!c2)
                return -EINVAL;
        ctrls = c1 + 1;
        ctrls_len = (size_t) (c2 - ctrls);
        path = c2 + 1;
        path_len = len - (size_t) (path - line);

        if (ctrls_len == 0) {
                for (int c = 0; c < _CG_CONTROLLER_MAX; c++)
                        if (cg_is_unified(h, c)) {
                                ret = set_path(r, c, path, path_len);
                                if (ret < 0)
                                        return ret;
                        }
                return 0;
        }

        for (const char *o = ctrls, *end = ctrls + ctrls_len; o < end;) {
                const char *comma = memchr(o, ',', (size_t) (end - o));
                size_t n = comma ? (size_t) (comma - o) : (size_t) (end - o);
                int c = cg_controller_from_name(o, n);

                if (c >= 0 && h->v1_fd[c] >= 0) {
                        ret = set_path(r, c, path, path_len);
                        if (ret < 0)
                                return ret;
                }
                o += n + 1;
        }
        return 0;
}

int cg_reader_parse(const struct cg_hierarchies *h, const char *proc_pid_cgroup, struct cg_reader *ret)
{
        struct cg_reader r = { .h = h };
        const char *line;
        size_t pos = 0, len;

        while ((line = next_line(proc_pid_cgroup, &pos, &len))) {
                int k;

                if (len == 0)
                        continue;
                k = parse_line(h, line, len, &r);
                if (k < 0) {
                        cg_reader_done(&r);
                        return k;
                }
        }
        *ret = r;
        return 0;
}

int cg_reader_load(const struct cg_hierarchies *h, pid_t pid, struct cg_reader *ret)
{
        _cleanup_free_ char *heap = NULL;
        char path[64], buf[CG_SMALL_FILE];
        const char *text;
        int r;

        snprintf(path, sizeof(path), "/proc/%d/cgroup", (int) pid);
        r = cg_read_text(AT_FDCWD, path, buf, sizeof(buf), &heap, &text);
        if (r == -ENOENT)
                return -ESRCH;
        if (r < 0)
                return r;
        return cg_reader_parse(h, text, ret);
}

void cg_reader_done(struct cg_reader *r)
{
        for (int c = 0; c < _CG_CONTROLLER_MAX; c++) {
                free(r->path[c]);
                r->path[c] = NULL;
        }
}

bool cg_reader_is_root(const struct cg_reader *r, enum cg_controller c)
{
        if ((unsigned) c >= _CG_CONTROLLER_MAX || !r->path[c] || !cg_has_controller(r->h, c))
                return true;
        return streq(r->path[c], "/");
}

int cg_locate(const struct cg_reader *r, enum cg_controller c, int *ret_fd, const char **ret_rel)
{
        const struct cg_hierarchies *h = r->h;

        if (!cg_has_controller(h, c) || !r->path[c])
                return -ENOENT;
        *ret_fd = h->v1_fd[c] >= 0 ? h->v1_fd[c] : h->unified_fd;
        *ret_rel = r->path[c] + 1;
        return 0;
}

int cg_reader_open_dir(const struct cg_reader *r, enum cg_controller c)
{
        const char *rel;
        int fd, k;

        k = cg_locate(r, c, &fd, &rel);
        if (k < 0)
                return k;
        fd = openat(fd, *rel ? rel : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        return fd < 0 ? -errno : fd;
}

int cg_reader_file(const struct cg_reader *r, enum cg_controller c, bool unified, const char *name,
                   char **ret)
{
        char path[PATH_MAX];
        const char *rel;
        int fd, k;

        if (cg_is_unified(r->h, c) != unified || cg_reader_is_root(r, c))
                return -ENOENT;
        k = cg_locate(r, c, &fd, &rel);
        if (k < 0)
                return k;
        k = cg_level_file(path, sizeof(path), rel, strlen(rel), name);
        if (k < 0)
                return k;
        return read_file_at(fd, path, ret, NULL);
}
