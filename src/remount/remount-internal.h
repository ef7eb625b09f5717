/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <libmount.h>
#include <stdbool.h>

#include "lxcfs/macro.h"

static inline void mnt_unref_tablep(struct libmnt_table **t) { mnt_unref_table(*t); }
static inline void mnt_free_iterp(struct libmnt_iter **i) { mnt_free_iter(*i); }
#define _cleanup_mnt_table_ _cleanup_(mnt_unref_tablep)
#define _cleanup_mnt_iter_ _cleanup_(mnt_free_iterp)

/* Parse mountinfo text with libmount. */
int remount_parse_table(const char *text, struct libmnt_table **ret);

/* Another mount sits at the same mount point, on top of fs. */
bool remount_is_overmounted(struct libmnt_table *tb, struct libmnt_fs *fs);

/* MOUNT_ATTR_{RDONLY,NOSUID,NODEV,NOEXEC} set in a mount's options. */
uint64_t remount_attr_from_options(const char *vfs_opts);

/* An absolute path without "." or ".." components. */
bool remount_root_is_valid(const char *root);
