/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Count the tasks of a cgroup subtree: how many threads, the highest thread
 * id, and how many are runnable (R) or uninterruptible (D).
 *
 * The task list file of each cgroup gives the total and the highest id.
 * The states come from taskstats on v1, one netlink round trip per cgroup;
 * cgroup2 is refused by taskstats, so there each thread's /proc/TID/stat is
 * read with one small read. */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "loadavg-internal.h"
#include "lxcfs/fileio.h"
#include "lxcfs/log.h"
#include "lxcfs/macro.h"

/* Far deeper than any container manager nests; bounds the fds held open. */
#define SUBTREE_MAX_DEPTH 64

int task_list_next(const char *text, size_t *pos, pid_t *ret)
{
        const char *p = text + *pos;
        unsigned long long v = 0;
        bool any = false;

        while (*p == '\n')
                p++;
        if (*p == '\0') {
                *pos = (size_t) (p - text);
                return 0;
        }
        for (; *p >= '0' && *p <= '9'; p++) {
                v = v * 10 + (unsigned) (*p - '0');
                if (v > INT_MAX)
                        return -EINVAL;
                any = true;
        }
        if (!any || (*p != '\n' && *p != '\0') || v == 0)
                return -EINVAL;
        *pos = (size_t) (p - text);
        *ret = (pid_t) v;
        return 1;
}

int task_list_summarize(const char *text, unsigned *ret_count, pid_t *ret_max)
{
        size_t pos = 0;
        unsigned n = 0;
        pid_t max = 0, pid;
        int r;

        while ((r = task_list_next(text, &pos, &pid)) > 0) {
                n++;
                max = MAX(max, pid);
        }
        if (r < 0)
                return r;
        *ret_count = n;
        *ret_max = max;
        return 0;
}

int proc_stat_state(const char *buf, size_t len, char *ret)
{
        const char *close = memrchr(buf, ')', len);
        size_t at;

        if (!close)
                return -EINVAL;
        at = (size_t) (close - buf) + 2; /* ") S" */
        if (at >= len || close[1] != ' ' || close[2] < 'A' || close[2] > 'z')
                return -EINVAL;
        *ret = close[2];
        return 0;
}

/* State of one thread; -ENOENT/-ESRCH when it exited meanwhile. */
static int thread_state(pid_t tid, char *ret)
{
        _cleanup_close_ int fd = -1;
        char path[sizeof("/proc//stat") + 12];
        /* pid, the name (up to 64 bytes for kernel workers) and the state fit. */
        char buf[192];
        ssize_t n;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int) tid);
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        n = read(fd, buf, sizeof(buf));
        if (n < 0)
                return -errno;
        return proc_stat_state(buf, (size_t) n, ret);
}

struct subtree_count {
        bool v1;
        bool use_taskstats;
        struct taskstats_conn *ts;
        struct task_counts *c;
};

static int count_states_proc(struct subtree_count *sc, const char *list)
{
        size_t pos = 0;
        pid_t tid;
        int r;

        while ((r = task_list_next(list, &pos, &tid)) > 0) {
                char state;

                if (thread_state(tid, &state) < 0)
                        continue; /* exited since the list was read */
                if (state == 'R')
                        sc->c->running++;
                else if (state == 'D')
                        sc->c->uninterruptible++;
        }
        return r;
}

static int count_states_taskstats(struct subtree_count *sc, int dirfd)
{
        struct cgroup_task_states st;
        int r;

        r = taskstats_cgroup(sc->ts, dirfd, &st);
        if (r < 0)
                return r;
        sc->c->running += (unsigned) st.running;
        sc->c->uninterruptible += (unsigned) st.uninterruptible;
        return 0;
}

/* The tasks attached to this cgroup itself (not its children). */
static int count_one_cgroup(struct subtree_count *sc, int dirfd)
{
        _cleanup_free_ char *list = NULL;
        unsigned n;
        pid_t max;
        int r;

        /* Threads, not processes: load counts threads. */
        r = read_file_at(dirfd, sc->v1 ? "tasks" : "cgroup.threads", &list, NULL);
        if (r < 0)
                return r;
        r = task_list_summarize(list, &n, &max);
        if (r < 0)
                return r;
        sc->c->total += n;
        sc->c->last_pid = MAX(sc->c->last_pid, max);
        if (n == 0)
                return 0; /* inner cgroups of a tree often hold no task */

        if (sc->use_taskstats) {
                r = count_states_taskstats(sc, dirfd);
                if (r == 0 || r == -ENOENT)
                        return r;
                /* Not a v1 cgroupfs after all, or taskstats unusable (other
                 * netns, no CONFIG_TASKSTATS): finish the walk from /proc. */
                log_debug_errno(r, "taskstats refused a cgroup, counting from /proc: %m");
                sc->use_taskstats = false;
        }
        return count_states_proc(sc, list);
}

static int count_subtree(struct subtree_count *sc, int dirfd, unsigned depth)
{
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;
        int r;

        r = count_one_cgroup(sc, dirfd);
        if (r < 0)
                return r;
        if (depth >= SUBTREE_MAX_DEPTH)
                return 0;

        r = opendir_dup(dirfd, &d);
        if (r < 0)
                return r;
        while ((errno = 0, de = readdir(d))) {
                _cleanup_close_ int child = -1;

                if (de->d_type != DT_DIR || streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                child = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (child < 0) {
                        if (errno == ENOENT)
                                continue; /* removed while we walk */
                        return -errno;
                }
                r = count_subtree(sc, child, depth + 1);
                if (r == -ENOENT)
                        continue;
                if (r < 0)
                        return r;
        }
        return -errno;
}

/* The caller's v1/v2 answer is a hint: the file system type decides which
 * task list file exists, and costs one system call per walk. */
static bool on_cgroup_v1(int dirfd, bool hint)
{
        struct statfs sfs;

        if (fstatfs(dirfd, &sfs) < 0)
                return hint;
        if ((unsigned long) sfs.f_type == CGROUP2_SUPER_MAGIC)
                return false;
        if ((unsigned long) sfs.f_type == CGROUP_SUPER_MAGIC)
                return true;
        return hint;
}

static int task_counts_walk(int cgroup_dirfd, bool v1, bool try_taskstats, struct task_counts *ret)
{
        struct task_counts c = {};
        struct subtree_count sc = { .v1 = on_cgroup_v1(cgroup_dirfd, v1), .c = &c };
        int r;

        if (sc.v1 && try_taskstats && taskstats_conn_thread(&sc.ts) >= 0)
                sc.use_taskstats = true;

        r = count_subtree(&sc, cgroup_dirfd, 0);
        if (r < 0)
                return r;
        *ret = c;
        return 0;
}

int task_counts_read(int cgroup_dirfd, bool v1, struct task_counts *ret)
{
        return task_counts_walk(cgroup_dirfd, v1, true, ret);
}

int task_counts_read_proc(int cgroup_dirfd, bool v1, struct task_counts *ret)
{
        return task_counts_walk(cgroup_dirfd, v1, false, ret);
}
