/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lxcfs/fileio.h"
#include "lxcfs/macro.h"
#include "lxcfs/procdir.h"
#include "lxcfs/remount.h"
#include "remount-internal.h"

/* Open-addressing set of namespace inodes: one visit per namespace. */
struct ino_set {
        uint64_t *slots;        /* 0 = empty; nsfs inodes are never 0 */
        size_t cap, n;
};

static void ino_set_done(struct ino_set *s) { free(s->slots); }

static int ino_set_grow(struct ino_set *s)
{
        size_t cap = s->cap ? s->cap * 2 : 1024;
        uint64_t *slots = calloc(cap, sizeof(*slots));

        if (!slots)
                return -ENOMEM;
        for (size_t i = 0; i < s->cap; i++) {
                size_t j;

                if (!s->slots[i])
                        continue;
                for (j = s->slots[i] & (cap - 1); slots[j]; j = (j + 1) & (cap - 1))
                        ;
                slots[j] = s->slots[i];
        }
        free(s->slots);
        s->slots = slots;
        s->cap = cap;
        return 0;
}

static bool ino_set_contains(const struct ino_set *s, uint64_t ino)
{
        if (s->cap == 0)
                return false;
        for (size_t j = ino & (s->cap - 1); s->slots[j]; j = (j + 1) & (s->cap - 1))
                if (s->slots[j] == ino)
                        return true;
        return false;
}

static int ino_set_add(struct ino_set *s, uint64_t ino)
{
        size_t j;

        if ((s->n + 1) * 2 > s->cap && ino_set_grow(s) < 0)
                return -ENOMEM;
        for (j = ino & (s->cap - 1); s->slots[j]; j = (j + 1) & (s->cap - 1))
                if (s->slots[j] == ino)
                        return 0;
        s->slots[j] = ino;
        s->n++;
        return 0;
}

static void remount_ns_done(struct remount_ns *ns)
{
        remount_entries_free(ns->entries, ns->n_entries);
        closep(&ns->ns_fd);
        closep(&ns->root_fd);
        closep(&ns->pid_dir_fd);
}

static int read_ns_ino(int proc_fd, const char *pid, uint64_t *ret)
{
        char path[300], link[64];
        ssize_t n;

        snprintf(path, sizeof(path), "%.255s/ns/mnt", pid);
        n = readlinkat(proc_fd, path, link, sizeof(link) - 1);
        if (n < 0)
                return -errno;
        link[n] = '\0';
        if (sscanf(link, "mnt:[%" SCNu64 "]", ret) != 1)
                return -EINVAL;
        return 0;
}

/* A process that exits while we look at it is no error: report -ESRCH. */
static int vanished(int r)
{
        return r == -ENOENT || r == -ESRCH || r == -EINVAL ? -ESRCH : r;
}

static int visit(int proc_fd, const char *name, pid_t pid, uint64_t ino,
                 const struct remount_live *live, remount_ns_cb cb, void *userdata)
{
        _cleanup_(remount_ns_done) struct remount_ns ns = {
                .ino = ino, .pid = pid, .ns_fd = -1, .root_fd = -1, .pid_dir_fd = -1,
        };
        _cleanup_free_ char *text = NULL;
        struct stat st;
        int r;

        ns.pid_dir_fd = openat(proc_fd, name, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (ns.pid_dir_fd < 0)
                return vanished(-errno);
        ns.ns_fd = openat(ns.pid_dir_fd, "ns/mnt", O_RDONLY | O_CLOEXEC);
        if (ns.ns_fd < 0)
                return vanished(-errno);
        /* The pid may have been reused since the readlink. */
        if (fstat(ns.ns_fd, &st) < 0 || st.st_ino != ino)
                return -ESRCH;

        r = read_file_at(ns.pid_dir_fd, "mountinfo", &text, NULL);
        if (r < 0)
                return vanished(r);
        /* Most namespaces do not use lxcfs: skip them before parsing. */
        if (!strstr(text, " " LXCFS_FSTYPE " "))
                return 0;

        r = remount_parse_mountinfo(text, live->dev, live->others, live->n_others,
                                    &ns.entries, &ns.n_entries);
        if (r < 0)
                return r;
        if (ns.n_entries == 0)
                return 0;

        ns.root_fd = openat(ns.pid_dir_fd, "root", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (ns.root_fd < 0)
                return vanished(-errno);

        return cb(&ns, userdata);
}

int remount_walk(int proc_fd, const struct remount_live *live,
                 remount_ns_cb cb, void *userdata, struct remount_walk_stats *stats)
{
        _cleanup_(ino_set_done) struct ino_set seen = {};
        _cleanup_(proc_iter_close) struct proc_iter it = PROC_ITER_INIT;
        struct remount_walk_stats st = {};
        const char *name;
        pid_t pid;
        int r;

        r = proc_iter_open(proc_fd, &it);
        if (r < 0)
                return r;

        while ((r = proc_iter_next(&it, &pid, &name)) > 0) {
                uint64_t ino;

                if (read_ns_ino(proc_fd, name, &ino) < 0)
                        continue;       /* exited, or a zombie without namespaces */
                if (ino_set_contains(&seen, ino))
                        continue;

                r = visit(proc_fd, name, pid, ino, live, cb, userdata);
                if (r == -ESRCH) {
                        /* Not marked seen: another process may share the namespace. */
                        st.n_vanished++;
                        continue;
                }
                if (r < 0)
                        return r;
                r = ino_set_add(&seen, ino);
                if (r < 0)
                        return r;
                st.n_namespaces++;
        }
        if (r < 0)
                return r;

        if (stats)
                *stats = st;
        return 0;
}
