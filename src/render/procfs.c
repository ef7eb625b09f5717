/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The age of a container: how long ago the init process of a reader's pid
 * namespace started, from /proc. */

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lxcfs/fileio.h"
#include "lxcfs/parse.h"
#include "lxcfs/procdir.h"
#include "lxcfs/render.h"

/* Field n (1-based, n >= 3) of /proc/PID/stat. The command name (field 2)
 * may hold spaces and ')', so counting starts after the last ')'. */
static int proc_stat_field(const char *text, unsigned n, uint64_t *ret)
{
        const char *p = strrchr(text, ')');
        unsigned long long v;
        char *end;

        if (!p || n < 3)
                return -EINVAL;
        p++;
        for (unsigned field = 3; field < n; field++) {
                while (*p == ' ')
                        p++;
                if (*p == '\0' || *p == '\n')
                        return -EINVAL;
                while (*p && *p != ' ' && *p != '\n')
                        p++;
        }
        while (*p == ' ')
                p++;
        if (!isdigit((unsigned char) *p))
                return -EINVAL;
        errno = 0;
        v = strtoull(p, &end, 10);
        if (errno == ERANGE || (*end != ' ' && *end != '\n' && *end != '\0'))
                return -EINVAL;
        *ret = v;
        return 0;
}

int proc_stat_parse_starttime(const char *text, uint64_t *ret)
{
        return proc_stat_field(text, 22, ret);
}

int proc_stat_parse_ppid(const char *text, pid_t *ret)
{
        uint64_t v;
        int r = proc_stat_field(text, 4, &v);

        if (r < 0)
                return r;
        *ret = (pid_t) v;
        return 0;
}

int proc_uptime_parse_centisec(const char *text, uint64_t *ret)
{
        unsigned long long sec, frac = 0;
        char *end;

        if (!isdigit((unsigned char) *text))
                return -EINVAL;
        errno = 0;
        sec = strtoull(text, &end, 10);
        if (errno == ERANGE)
                return -EINVAL;
        if (*end == '.') {
                const char *f = end + 1;
                /* Two digits, like the kernel prints; more are cut. */
                for (int i = 0; i < 2; i++) {
                        frac *= 10;
                        if (isdigit((unsigned char) *f))
                                frac += (unsigned long long) (*f++ - '0');
                }
        }
        *ret = sec * 100 + frac;
        return 0;
}

unsigned clock_ticks_per_sec(void)
{
        long hz = sysconf(_SC_CLK_TCK);

        return hz > 0 ? (unsigned) hz : 100;
}

/* From /proc/PID/status: the "NSpid:" line lists the pid in every pid
 * namespace from ours down to the process's own, so its length is the
 * namespace depth and its last entry the pid inside; "PPid:" the parent. */
int proc_status_parse_nspid(const char *text, unsigned *ret_depth, pid_t *ret_inner)
{
        const char *line;
        size_t pos = 0, len;

        while ((line = next_line(text, &pos, &len))) {
                unsigned depth = 0;
                long inner = 0;
                size_t i;

                if (len < 6 || memcmp(line, "NSpid:", 6) != 0)
                        continue;
                for (i = 6; i < len;) {
                        if (line[i] == ' ' || line[i] == '\t') {
                                i++;
                                continue;
                        }
                        if (!isdigit((unsigned char) line[i]))
                                return -EINVAL;
                        for (inner = 0; i < len && isdigit((unsigned char) line[i]); i++) {
                                inner = inner * 10 + (line[i] - '0');
                                if (inner > INT_MAX)
                                        return -EINVAL; /* not a pid_t */
                        }
                        depth++;
                }
                if (depth == 0)
                        return -EINVAL;
                *ret_depth = depth;
                *ret_inner = (pid_t) inner;
                return 0;
        }
        return -ENOENT;
}

static int proc_status_ppid(const char *text, pid_t *ret)
{
        uint64_t v;
        const char *p = strstr(text, "\nPPid:");

        if (!p)
                return -ENOENT;
        p += 6;
        while (*p == ' ' || *p == '\t')
                p++;
        if (!isdigit((unsigned char) *p))
                return -EINVAL;
        v = strtoull(p, NULL, 10);
        *ret = (pid_t) v;
        return 0;
}

struct proc_ns_pos {
        unsigned depth;
        pid_t inner;
        pid_t ppid;
};

/* /proc/PID/status is readable without ptrace rights, unlike
 * /proc/PID/ns/pid of a non-dumpable process. */
static int read_ns_pos(pid_t pid, struct proc_ns_pos *ret)
{
        _cleanup_free_ char *text = NULL;
        char path[64];
        int r;

        if (pid > 0)
                snprintf(path, sizeof(path), "/proc/%d/status", (int) pid);
        else
                snprintf(path, sizeof(path), "/proc/self/status");
        r = read_file_at(AT_FDCWD, path, &text, NULL);
        if (r < 0)
                return r == -ENOENT ? -ESRCH : r;
        r = proc_status_parse_nspid(text, &ret->depth, &ret->inner);
        if (r < 0)
                return r;
        return proc_status_ppid(text, &ret->ppid);
}

/* Any process we can see is in our pid namespace or below it, so the same
 * depth means the same namespace. */
int pid_in_host_pidns(pid_t pid)
{
        struct proc_ns_pos ours, theirs;
        int r;

        if (pid <= 0)
                return -EINVAL;
        r = read_ns_pos(0, &ours);
        if (r < 0)
                return r;
        r = read_ns_pos(pid, &theirs);
        if (r < 0)
                return r;
        return theirs.depth == ours.depth;
}

static int read_proc_stat(pid_t pid, char **ret)
{
        char path[64];
        int r;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
        r = read_file_at(AT_FDCWD, path, ret, NULL);
        return r == -ENOENT ? -ESRCH : r;
}

int pidns_inode(pid_t pid, uint64_t *ret)
{
        char path[64];
        struct stat st;

        snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int) pid);
        if (stat(path, &st) < 0)
                return errno == ENOENT ? -ESRCH : -errno;
        *ret = (uint64_t) st.st_ino;
        return 0;
}

/* The process whose pid is 1 inside the pid namespace with inode `ino`, at
 * `depth` below ours: scan /proc. Only thread-group leaders are listed
 * there, and an init always is one. Cheap filters first: the namespace
 * link, then NSpid of the few processes inside. */
static int find_init_by_scan(uint64_t ino, unsigned depth, pid_t *ret)
{
        _cleanup_(proc_iter_close) struct proc_iter it = PROC_ITER_INIT;
        pid_t pid;
        int r;

        r = proc_iter_open(AT_FDCWD, &it);
        if (r < 0)
                return r;
        while ((r = proc_iter_next(&it, &pid, NULL)) > 0) {
                struct proc_ns_pos pos;
                uint64_t cand_ino;

                if (pidns_inode(pid, &cand_ino) < 0 || cand_ino != ino)
                        continue;
                if (read_ns_pos(pid, &pos) < 0 || pos.depth != depth || pos.inner != 1)
                        continue;
                *ret = pid;
                return 0;
        }
        return r < 0 ? r : -ESRCH;
}

/* Walk up the parents until the namespace's pid 1: the usual case, a
 * process forked inside the container. A process that joined the
 * namespace with setns() (runc exec, kubectl exec) has its parent outside,
 * so the walk stops short of pid 1; then the init is looked up by the
 * namespace's inode. */
int pidns_init_pid(pid_t pid, pid_t *ret)
{
        struct proc_ns_pos cur_pos, parent_pos;
        pid_t cur = pid;
        uint64_t ino;
        int r;

        if (pid <= 0)
                return -EINVAL;
        r = read_ns_pos(pid, &cur_pos);
        if (r < 0)
                return r;

        /* Bounded, so that a reparenting race cannot keep us here. */
        for (unsigned steps = 0; steps < 4096 && cur_pos.inner != 1 && cur_pos.ppid > 0; steps++) {
                if (read_ns_pos(cur_pos.ppid, &parent_pos) < 0 || parent_pos.depth != cur_pos.depth)
                        break;
                cur = cur_pos.ppid;
                cur_pos = parent_pos;
        }
        if (cur_pos.inner == 1) {
                *ret = cur;
                return 0;
        }
        r = pidns_inode(pid, &ino);
        if (r < 0)
                return r;
        return find_init_by_scan(ino, cur_pos.depth, ret);
}

int pidns_age_ticks(pid_t pid, unsigned hz, uint64_t *ret)
{
        _cleanup_free_ char *stat_text = NULL, *uptime_text = NULL;
        uint64_t start, uptime_cs, now;
        pid_t init;
        int r;

        r = pidns_init_pid(pid, &init);
        if (r < 0)
                return r;
        r = read_proc_stat(init, &stat_text);
        if (r < 0)
                return r;
        r = proc_stat_parse_starttime(stat_text, &start);
        if (r < 0)
                return r;
        r = read_file_at(AT_FDCWD, "/proc/uptime", &uptime_text, NULL);
        if (r < 0)
                return r;
        r = proc_uptime_parse_centisec(uptime_text, &uptime_cs);
        if (r < 0)
                return r;
        now = uptime_cs * hz / 100;
        *ret = now > start ? now - start : 0;
        return 0;
}
