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
#include "lxcfs/render_cache.h"
#include "lxcfs/strbuf.h"

struct loadavg_sampler;
struct render_caches;

struct lxcfs_options {
        bool use_cfs;     /* limit visible CPUs by the CFS quota (default on) */
        bool use_swap;    /* show the container's swap (default on; -u turns off) */
        bool use_loadavg; /* per-container loadavg (default on) */
        char **disabled_files;   /* --disable-file paths, not served */
        size_t n_disabled_files;
};

struct vfile;

struct render_ctx {
        pid_t pid;                            /* the reader, in our pid namespace */
        const struct vfile *file;             /* the row being rendered (set by vfile_generate) */
        const struct lxcfs_options *opts;
        const struct cg_hierarchies *cg;
        struct loadavg_sampler *loadavg;      /* task counts and loadavg; NULL if it failed */
        const struct render_caches *caches;   /* the filesystem's (render_cache.h); NULL: off */
        /* Loaded on first use by render_ctx_reader(): a reference to the
         * reader cache's record (reader unused), or, in tests, a reader
         * parsed into reader (reader_ref NULL). */
        int reader_err;                       /* 1 = not loaded yet */
        struct ttl_value *reader_ref;
        struct cg_reader reader;
        /* share_as_is set by the caller: a file whose answer is a cached
         * host text unchanged leaves out empty and puts a reference to
         * that text here, so that the open shares it instead of copying. */
        bool share_as_is;
        struct ttl_value *as_is;
};

void render_ctx_init(struct render_ctx *ctx, pid_t pid, const struct lxcfs_options *opts,
                     const struct cg_hierarchies *cg, struct loadavg_sampler *loadavg,
                     const struct render_caches *caches);
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
/* The answer is v's text as it is: by reference in ctx->as_is when the
 * caller asked for that (share_as_is) and out is still empty, else
 * appended to out. */
int render_ctx_answer_as_is(struct render_ctx *ctx, struct ttl_value *v, struct strbuf *out);

/* One row per virtual file: everything the daemon, its tree, its checks
 * and its documentation know about the file. */
struct vfile {
        const char *path;        /* relative to the mount root, e.g. "proc/meminfo" */
        mode_t mode;             /* permission bits, as the host's file has them */
        /* The host file shown when the reader has no view of its own (also
         * the cache the snapshot lives in, see render_cache.h). */
        enum host_file host;
        /* The reader's cgroup file it is built from, for renderers that
         * serve several rows (pressure); NULL when the renderer knows. */
        const char *cgroup_file;
        const char *summary;     /* what a container sees: --list-files, docs */
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

/* Rows that only a test binary links in (a definition of this symbol);
 * absent from the daemon. */
struct vfile_rows {
        const struct vfile *rows;
        size_t n;
};
extern const struct vfile_rows vfile_test_rows __attribute__((weak));

/* The row of path among the table and the test rows, or NULL. */
const struct vfile *vfile_find(const char *path);
/* Every row in order (table, then test rows); index past the end: NULL. */
const struct vfile *vfile_row(size_t index);
bool vfile_disabled(const struct lxcfs_options *opts, const struct vfile *f);
/* Copies of the rows opts serves, in order, for vtree_build(). */
int vfile_rows_served(const struct lxcfs_options *opts, struct vfile **ret, size_t *ret_n);
