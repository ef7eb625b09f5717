/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Finding the cgroup hierarchies.
 * v1: every "cgroup" line of mountinfo; its super options name the
 *     controllers of that hierarchy ("rw,cpu,cpuacct"; "name=systemd" and
 *     controllers we do not use are skipped).
 * v2: the first "cgroup2" line; its controllers are the words of the root
 *     cgroup.controllers. A controller mounted on v1 is used from v1 even when
 *     cgroup2 lists it too (hybrid hosts).
 * Each root is opened once as an O_PATH directory; every later read is an
 * openat() below one of those fds. */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "cgroup-internal.h"
#include "lxcfs/fileio.h"
#include "lxcfs/log.h"
#include "lxcfs/macro.h"
#include "lxcfs/mountinfo.h"

static const char *const layout_names[] = {
        [CG_LAYOUT_NONE] = "none",
        [CG_LAYOUT_V1] = "v1",
        [CG_LAYOUT_HYBRID] = "hybrid",
        [CG_LAYOUT_V2] = "v2",
};

static const char *const controller_names[_CG_CONTROLLER_MAX] = {
        [CG_MEMORY] = "memory",
        [CG_CPU] = "cpu",
        [CG_CPUACCT] = "cpuacct",
        [CG_CPUSET] = "cpuset",
        [CG_BLKIO] = "blkio",
        [CG_PIDS] = "pids",
};

/* cgroup2 names its controllers differently: "cpu" covers v1 cpu and
 * cpuacct, "io" is v1 blkio. */
static const struct {
        const char *name;
        enum cg_controller c;
} unified_names[] = {
        { "memory", CG_MEMORY },
        { "cpu", CG_CPU },
        { "cpu", CG_CPUACCT },
        { "cpuset", CG_CPUSET },
        { "io", CG_BLKIO },
        { "pids", CG_PIDS },
};

const char *cg_layout_name(enum cg_layout l)
{
        if ((unsigned) l >= ELEMENTSOF(layout_names))
                return "unknown";
        return layout_names[l];
}

const char *cg_controller_name(enum cg_controller c)
{
        if ((unsigned) c >= _CG_CONTROLLER_MAX)
                return "unknown";
        return controller_names[c];
}

int cg_controller_from_name(const char *s, size_t n)
{
        for (int c = 0; c < _CG_CONTROLLER_MAX; c++)
                if (strlen(controller_names[c]) == n && memcmp(controller_names[c], s, n) == 0)
                        return c;
        return -1;
}

static bool word_is(const char *s, size_t n, const char *word)
{
        return strlen(word) == n && memcmp(s, word, n) == 0;
}

static int open_mount_point(struct libmnt_fs *fs, const char *prefix)
{
        char path[PATH_MAX];
        int fd;

        if ((size_t) snprintf(path, sizeof(path), "%s%s", prefix, mnt_fs_get_target(fs) ?: "") >= sizeof(path))
                return -ENAMETOOLONG;
        fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return log_warning_errno(errno, "Failed to open cgroup mount %s: %m", path);
        return fd;
}

/* Take the controllers of one v1 mount that are still unassigned. */
static void add_v1_mount(struct cg_hierarchies *h, struct libmnt_fs *fs, const char *prefix)
{
        bool wanted[_CG_CONTROLLER_MAX] = {}, any = false;
        const char *o = mnt_fs_get_fs_options(fs) ?: "", *end = o + strlen(o);
        int fd;

        while (o < end) {
                const char *comma = memchr(o, ',', (size_t) (end - o));
                size_t n = comma ? (size_t) (comma - o) : (size_t) (end - o);
                int c = cg_controller_from_name(o, n);

                if (c >= 0 && h->v1_fd[c] < 0) {
                        wanted[c] = true;
                        any = true;
                }
                o += n + 1;
        }
        if (!any)
                return;

        fd = open_mount_point(fs, prefix);
        if (fd < 0)
                return;
        /* Co-mounted controllers share one fd; close it only once (see
         * cg_hierarchies_close). */
        for (int c = 0; c < _CG_CONTROLLER_MAX; c++)
                if (wanted[c])
                        h->v1_fd[c] = fd;
}

static void read_unified_controllers(struct cg_hierarchies *h)
{
        char buf[CG_SMALL_FILE];
        const char *w = buf;
        ssize_t n;

        n = read_file_into_at(h->unified_fd, "cgroup.controllers", buf, sizeof(buf));
        if (n < 0) {
                log_warning_errno((int) n, "Failed to read cgroup.controllers of the cgroup2 mount: %m");
                return;
        }
        while (*w) {
                size_t wl = strcspn(w, " \n");

                for (size_t i = 0; i < ELEMENTSOF(unified_names); i++)
                        if (word_is(w, wl, unified_names[i].name))
                                h->on_unified[unified_names[i].c] = true;
                w += wl;
                w += strspn(w, " \n");
        }
}

static enum cg_layout detect_layout(const struct cg_hierarchies *h)
{
        bool any_v1 = false;

        for (int c = 0; c < _CG_CONTROLLER_MAX; c++)
                if (h->v1_fd[c] >= 0)
                        any_v1 = true;
        if (any_v1)
                return h->unified_fd >= 0 ? CG_LAYOUT_HYBRID : CG_LAYOUT_V1;
        return h->unified_fd >= 0 ? CG_LAYOUT_V2 : CG_LAYOUT_NONE;
}

int cg_hierarchies_open(struct cg_hierarchies *h, const char *mountinfo, const char *prefix)
{
        _cleanup_mnt_table_ struct libmnt_table *tb = NULL;
        _cleanup_mnt_iter_ struct libmnt_iter *it = NULL;
        struct libmnt_fs *fs;
        int r;

        *h = (struct cg_hierarchies) { .unified_fd = -1 };
        for (int c = 0; c < _CG_CONTROLLER_MAX; c++)
                h->v1_fd[c] = -1;
        if (!prefix)
                prefix = "";

        /* Lines that do not parse are skipped by the parser. */
        r = mountinfo_parse(mountinfo, &tb);
        if (r < 0)
                return r;
        it = mnt_new_iter(MNT_ITER_FORWARD);
        if (!it)
                return -ENOMEM;
        while (mnt_table_next_fs(tb, it, &fs) == 0) {
                const char *type = mnt_fs_get_fstype(fs) ?: "";

                if (!mnt_fs_get_target(fs))
                        continue;
                if (streq(type, "cgroup"))
                        add_v1_mount(h, fs, prefix);
                else if (streq(type, "cgroup2") && h->unified_fd < 0) {
                        int fd = open_mount_point(fs, prefix);
                        if (fd >= 0)
                                h->unified_fd = fd;
                }
        }

        if (h->unified_fd >= 0)
                read_unified_controllers(h);
        /* v1 wins: a controller bound to a v1 hierarchy is empty on cgroup2. */
        for (int c = 0; c < _CG_CONTROLLER_MAX; c++)
                if (h->v1_fd[c] >= 0)
                        h->on_unified[c] = false;

        h->layout = detect_layout(h);
        if (h->layout == CG_LAYOUT_NONE)
                return -ENOENT;
        return 0;
}

int cg_hierarchies_open_live(struct cg_hierarchies *h)
{
        _cleanup_free_ char *mountinfo = NULL;
        int r;

        r = read_file_at(AT_FDCWD, "/proc/self/mountinfo", &mountinfo, NULL);
        if (r < 0)
                return log_error_errno(r, "Failed to read /proc/self/mountinfo: %m");
        return cg_hierarchies_open(h, mountinfo, "");
}

void cg_hierarchies_close(struct cg_hierarchies *h)
{
        for (int c = 0; c < _CG_CONTROLLER_MAX; c++) {
                int fd = h->v1_fd[c];

                if (fd < 0)
                        continue;
                for (int d = c; d < _CG_CONTROLLER_MAX; d++)
                        if (h->v1_fd[d] == fd)
                                h->v1_fd[d] = -1;
                close(fd);
        }
        if (h->unified_fd >= 0)
                close(h->unified_fd);
        h->unified_fd = -1;
        for (int c = 0; c < _CG_CONTROLLER_MAX; c++)
                h->on_unified[c] = false;
        h->layout = CG_LAYOUT_NONE;
}

bool cg_is_unified(const struct cg_hierarchies *h, enum cg_controller c)
{
        return h->v1_fd[c] < 0 && h->on_unified[c] && h->unified_fd >= 0;
}

bool cg_has_controller(const struct cg_hierarchies *h, enum cg_controller c)
{
        if ((unsigned) c >= _CG_CONTROLLER_MAX)
                return false;
        return h->v1_fd[c] >= 0 || cg_is_unified(h, c);
}

void cg_hierarchies_describe(const struct cg_hierarchies *h, struct strbuf *out)
{
        bool first = true;

        for (int c = 0; c < _CG_CONTROLLER_MAX; c++) {
                if (!cg_has_controller(h, c))
                        continue;
                strbuf_printf(out, "%s%s%s", first ? "" : " ", controller_names[c],
                              h->layout == CG_LAYOUT_HYBRID && cg_is_unified(h, c) ? "(v2)" : "");
                first = false;
        }
        strbuf_printf(out, "%s(%s)", first ? "" : " ", cg_layout_name(h->layout));
}
