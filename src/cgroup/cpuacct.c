/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* CPU time used by the reader's cgroup.
 * v1: cpuacct.usage_all: a "cpu user system" header, then "ID USER SYSTEM"
 *     in nanoseconds for each possible CPU; kernels before 4.7 lack it, then
 *     cpuacct.stat ("user N", "system N" in USER_HZ ticks) gives totals only.
 * v2: cpu.stat user_usec and system_usec; the kernel keeps no per-CPU split. */

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup-internal.h"
#include "lxcfs/macro.h"
#include "lxcfs/parse.h"

#define NSEC_PER_USEC UINT64_C(1000)
#define NSEC_PER_SEC UINT64_C(1000000000)

static int parse_percpu_line(const char *line, size_t len, uint64_t v[3])
{
        char buf[96], *p, *end;

        if (len >= sizeof(buf))
                return -EINVAL;
        memcpy(buf, line, len);
        buf[len] = '\0';
        p = buf;
        for (int i = 0; i < 3; i++) {
                while (*p == ' ')
                        p++;
                if (*p < '0' || *p > '9')
                        return -EINVAL;
                errno = 0;
                v[i] = strtoull(p, &end, 10);
                if (errno == ERANGE)
                        return -EINVAL;
                p = end;
        }
        while (*p == ' ')
                p++;
        return *p == '\0' ? 0 : -EINVAL;
}

/* Two passes over the text: validate and size, then fill. */
static int parse_usage_all(const char *text, struct cg_cpu_usage *u)
{
        _cleanup_free_ uint64_t *user = NULL, *sys = NULL;
        const char *line;
        size_t pos = 0, len;
        uint64_t v[3], max_id = 0;
        bool any = false;

        line = next_line(text, &pos, &len);
        if (!line || len < 3 || strncmp(line, "cpu", 3) != 0)
                return -EINVAL;
        while ((line = next_line(text, &pos, &len))) {
                if (len == 0)
                        continue;
                if (parse_percpu_line(line, len, v) < 0 || v[0] >= CPUSET_MAX)
                        return -EINVAL;
                max_id = MAX(max_id, v[0]);
                any = true;
        }
        if (!any)
                return -EINVAL;

        user = calloc(max_id + 1, sizeof(uint64_t));
        sys = calloc(max_id + 1, sizeof(uint64_t));
        if (!user || !sys)
                return -ENOMEM;

        pos = 0;
        next_line(text, &pos, &len);
        while ((line = next_line(text, &pos, &len))) {
                if (len == 0)
                        continue;
                (void) parse_percpu_line(line, len, v);
                user[v[0]] = v[1];
                sys[v[0]] = v[2];
                u->user_ns += v[1];
                u->system_ns += v[2];
        }
        u->n_percpu = (unsigned) max_id + 1;
        u->percpu_user_ns = steal_pointer(&user);
        u->percpu_system_ns = steal_pointer(&sys);
        return 0;
}

static int read_usage_all(int fd, const char *rel, struct cg_cpu_usage *u)
{
        _cleanup_free_ char *heap = NULL;
        char path[PATH_MAX], buf[CG_SMALL_FILE];
        const char *text;
        int r;

        r = cg_level_file(path, sizeof(path), rel, strlen(rel), "cpuacct.usage_all");
        if (r < 0)
                return r;
        r = cg_read_text(fd, path, buf, sizeof(buf), &heap, &text);
        if (r < 0)
                return r;
        return parse_usage_all(text, u);
}

static int read_cpuacct_stat(int fd, const char *rel, struct cg_cpu_usage *u)
{
        char buf[256];
        uint64_t user, sys, ns_per_tick;
        long hz = sysconf(_SC_CLK_TCK);
        ssize_t n;

        if (hz <= 0)
                hz = 100;
        ns_per_tick = NSEC_PER_SEC / (uint64_t) hz;
        n = cg_read_level(fd, rel, strlen(rel), "cpuacct.stat", buf, sizeof(buf));
        if (n < 0)
                return (int) n;
        if (keyed_u64(buf, "user", &user) < 0 || keyed_u64(buf, "system", &sys) < 0)
                return -EINVAL;
        u->user_ns = user * ns_per_tick;
        u->system_ns = sys * ns_per_tick;
        return 0;
}

static int read_cpu_stat_v2(int fd, const char *rel, struct cg_cpu_usage *u)
{
        char buf[CG_SMALL_FILE];
        uint64_t user, sys;
        ssize_t n;

        n = cg_read_level(fd, rel, strlen(rel), "cpu.stat", buf, sizeof(buf));
        if (n < 0)
                return (int) n;
        if (keyed_u64(buf, "user_usec", &user) < 0 || keyed_u64(buf, "system_usec", &sys) < 0)
                return -EINVAL;
        u->user_ns = user * NSEC_PER_USEC;
        u->system_ns = sys * NSEC_PER_USEC;
        return 0;
}

int cg_cpu_usage_read(const struct cg_reader *r, struct cg_cpu_usage *ret)
{
        struct cg_cpu_usage u = {};
        const char *rel;
        int fd, k;

        k = cg_locate(r, CG_CPUACCT, &fd, &rel);
        if (k < 0)
                return k;
        if (cg_is_unified(r->h, CG_CPUACCT))
                k = read_cpu_stat_v2(fd, rel, &u);
        else {
                k = read_usage_all(fd, rel, &u);
                if (k == -ENOENT)
                        k = read_cpuacct_stat(fd, rel, &u);
        }
        if (k < 0) {
                cg_cpu_usage_done(&u);
                return k;
        }
        *ret = u;
        return 0;
}

void cg_cpu_usage_done(struct cg_cpu_usage *u)
{
        free(u->percpu_user_ns);
        free(u->percpu_system_ns);
        *u = (struct cg_cpu_usage) {};
}
