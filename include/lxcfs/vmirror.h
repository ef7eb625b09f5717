/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Mirror rows: a directory of the mount that shows a host directory as the
 * host has it, read-only and read at read time, except for two things the
 * row says: the rendered files under it (rows of the vfile table, which
 * take the place of the host's file of the same name) and which of its
 * top-level entries a reader may see (the entry filter). */

#include <stdbool.h>

#include "lxcfs/cpuset.h"
#include "lxcfs/vfile.h"

/* What the entry filter needs of one reader. */
struct vmirror_view {
        bool all;               /* the reader sees every entry (host view) */
        struct cpuset shown;    /* otherwise: ids of the cpuN entries shown */
};

struct vmirror {
        const char *path;       /* relative to the mount root */
        const char *host_dir;   /* absolute; never left, no symlink followed */
        const char *summary;    /* what a container sees: docs, --help */
        /* Fill the view of ctx's reader; a reader with no view of its own
         * gets all = true. Other failures are returned. */
        int (*load_view)(struct render_ctx *ctx, struct vmirror_view *ret);
        /* Whether the top-level entry name is shown with that view. */
        bool (*entry_visible)(const char *name, const struct vmirror_view *view);
};

extern const struct vmirror vmirror_table[];
extern const size_t vmirror_table_size;

const struct vmirror *vmirror_find(const char *path);
bool vmirror_disabled(const struct lxcfs_options *opts, const struct vmirror *m);

/* sys/devices/system/cpu: cpuN entries of CPUs outside the reader's
 * visible CPUs are hidden, unless it sees every online CPU. */
int cpu_dir_load_view(struct render_ctx *ctx, struct vmirror_view *ret);
bool cpu_dir_entry_visible(const char *name, const struct vmirror_view *view);
