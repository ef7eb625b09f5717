/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The static directory tree derived from the vfile table. Inode numbers
 * are a hash of the path, so they stay the same across restarts and
 * versions: a kernel that still holds inodes of a previous daemon process
 * (file-descriptor handover) finds the same files behind them. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lxcfs/vfile.h"

#define VTREE_ROOT_INO 1

struct vnode {
        uint64_t ino;
        uint64_t parent_ino;
        char *path;               /* "" for the root, else "proc/meminfo" */
        const char *name;         /* last component, points into path */
        const struct vfile *file; /* NULL for directories */
};

struct vtree {
        struct vnode *nodes;      /* nodes[0] is the root */
        size_t n;
};

int vtree_build(const struct vfile *table, size_t n_files, struct vtree *ret);
/* Add directory path (and its parents) unless the tree has it. */
int vtree_add_dir(struct vtree *t, const char *path);
void vtree_free(struct vtree *t);
uint64_t vtree_path_ino(const char *path);
const struct vnode *vtree_by_ino(const struct vtree *t, uint64_t ino);
const struct vnode *vtree_lookup(const struct vtree *t, uint64_t parent, const char *name);
/* The index-th child of dir (in table order), or NULL past the end. */
const struct vnode *vtree_child(const struct vtree *t, uint64_t dir, size_t index);
