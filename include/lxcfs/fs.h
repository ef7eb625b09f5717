/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* FUSE plumbing: the low-level operations over the static tree. It knows
 * nothing about what a file contains; it asks vfile->generate(). */

#include <fuse_lowlevel.h>

#include "lxcfs/handles.h"
#include "lxcfs/mirror.h"
#include "lxcfs/passthrough.h"
#include "lxcfs/render_cache.h"
#include "lxcfs/vfile.h"
#include "lxcfs/vtree.h"

struct lxcfs_fs {
        struct vfile *rows;      /* the rows served (minus --disable-file); the tree points here */
        size_t n_rows;
        struct vtree tree;
        struct mirror *mirrors;  /* the mirror rows served (vmirror.h) */
        size_t n_mirrors;
        struct handle_table handles;
        struct passthrough pt;   /* off until passthrough_start() */
        const struct lxcfs_options *opts;
        const struct cg_hierarchies *cg;
        struct loadavg_sampler *loadavg;
        /* Host snapshots and cgroup views that requests share for a few
         * ms (TTLs in render_cache.h and cgroup_cache.h). */
        struct render_caches caches;
        double attr_timeout;     /* the tree never changes: cache it long */
        const char *save_text_dir;   /* test hook: LXCFS_TEST_SAVE_TEXT */
};

int lxcfs_fs_init(struct lxcfs_fs *fs, const struct lxcfs_options *opts,
                  const struct cg_hierarchies *cg, struct loadavg_sampler *loadavg);
void lxcfs_fs_done(struct lxcfs_fs *fs);

/* Render node's file for reader pid. */
int lxcfs_fs_render(struct lxcfs_fs *fs, const struct vnode *node, pid_t pid,
                    struct content **ret);

extern const struct fuse_lowlevel_ops lxcfs_fs_ops;
