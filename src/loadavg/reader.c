/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* From a reader to the cgroup whose tasks make its load: the cpu hierarchy
 * on v1 (cpuacct or pids when cpu is not mounted), the unified hierarchy on
 * v2. Kept apart from the sampler core so that the core is tested without
 * the cgroup layer. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "loadavg-internal.h"
#include "lxcfs/macro.h"

static const enum cg_controller load_controllers[] = { CG_CPU, CG_CPUACCT, CG_PIDS };

struct load_cgroup {
        const struct cg_reader *r;
        enum cg_controller c;
        bool v1;
};

static int load_cgroup_pick(const struct cg_reader *r, struct load_cgroup *ret)
{
        const struct cg_hierarchies *h = r->h;

        for (size_t i = 0; i < ELEMENTSOF(load_controllers); i++) {
                enum cg_controller c = load_controllers[i];

                if (!cg_has_controller(h, c) || !r->path[c])
                        continue;
                *ret = (struct load_cgroup) { .r = r, .c = c, .v1 = h->v1_fd[c] >= 0 };
                return 0;
        }
        return -ENOENT;
}

static int load_cgroup_open(const struct load_cgroup *lc)
{
        return cg_reader_open_dir(lc->r, lc->c);
}

int task_counts_for_reader(const struct cg_reader *r, struct task_counts *ret)
{
        _cleanup_close_ int fd = -1;
        struct load_cgroup lc;
        int k;

        k = load_cgroup_pick(r, &lc);
        if (k < 0)
                return k;
        fd = load_cgroup_open(&lc);
        if (fd < 0)
                return fd;
        return task_counts_read(fd, lc.v1, ret);
}

int loadavg_sampler_get(struct loadavg_sampler *s, const struct cg_reader *r,
                        struct loadavg_value *ret)
{
        _cleanup_free_ char *key = NULL;
        struct load_cgroup lc;
        const char *rel;
        int k, base_fd;

        k = load_cgroup_pick(r, &lc);
        if (k < 0)
                return k;
        k = cg_locate(r, lc.c, &base_fd, &rel);
        if (k < 0)
                return k;
        if (*rel == '\0')
                return -EINVAL; /* the root cgroup: the host's own numbers */
        /* Paths of different hierarchies must not collide. */
        if (asprintf(&key, "%s:%s", lc.v1 ? cg_controller_name(lc.c) : "unified", r->path[lc.c]) < 0)
                return -ENOMEM;
        return loadavg_sampler_get_key(s, key, base_fd, rel, lc.v1, ret);
}
