/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The table of virtual files. The FUSE layer looks a file up here by path,
 * builds a render_ctx for the reading process and calls generate() once per
 * open; reads are served from the text it produced. generate() gathers
 * inputs (host files, the reader's cgroup view) and hands them to the pure
 * renderer of that file. */

#include <stdbool.h>
#include <sys/types.h>

#include "lxcfs/cgroup.h"
#include "lxcfs/strbuf.h"

struct loadavg_sampler;

struct lxcfs_options {
        bool use_cfs;     /* limit visible CPUs by the CFS quota (default on) */
        bool use_swap;    /* show the container's swap (default on; -u turns off) */
        bool use_loadavg; /* per-container loadavg (default on) */
};

struct render_ctx {
        pid_t pid;                            /* the reader, in our pid namespace */
        const struct lxcfs_options *opts;
        const struct cg_hierarchies *cg;
        struct loadavg_sampler *loadavg;      /* task counts and loadavg; NULL if it failed */
        /* Loaded on first use by render_ctx_reader(). */
        int reader_err;                       /* 1 = not loaded yet */
        struct cg_reader reader;
};

void render_ctx_init(struct render_ctx *ctx, pid_t pid, const struct lxcfs_options *opts,
                     const struct cg_hierarchies *cg, struct loadavg_sampler *loadavg);
void render_ctx_done(struct render_ctx *ctx);
/* No view to build: the reader is gone (-ESRCH), or it has no cgroup of
 * its own for that part (-ENOENT: no controller, root cgroup, unknown
 * path, cgroup removed). The host's values are then the right answer. */
static inline bool render_view_missing(int r)
{
        return r == -ESRCH || r == -ENOENT;
}

/* The reader's cgroups; -ESRCH when the process is gone. */
int render_ctx_reader(struct render_ctx *ctx, const struct cg_reader **ret);
/* Visible CPUs of the reader: effective cpuset (host online CPUs when
 * unknown), cut to the first ceil(quota/period) when use_cfs is set. */
int render_ctx_visible_cpus(struct render_ctx *ctx, struct cpuset *ret);

struct vfile {
        const char *path; /* relative to the mount root, e.g. "proc/meminfo" */
        /* Append the whole file for ctx's reader to out. Where there is
         * no view to build (render_view_missing()) the host's values are
         * the answer; any other failure is returned, never papered over
         * with host values. */
        int (*generate)(struct render_ctx *ctx, struct strbuf *out);
};

/* f->generate() for ctx's reader. A failure other than a vanished reader
 * is logged (rate-limited, naming the file that failed and the errno) and
 * becomes -EIO: the reader gets an error, not the host's figures. */
int vfile_generate(const struct vfile *f, struct render_ctx *ctx, struct strbuf *out);

extern const struct vfile vfile_table[];
extern const size_t vfile_table_size;
