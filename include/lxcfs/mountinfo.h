/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* mountinfo, read with libmount: one parser for the daemon's mount
 * lookups, its cgroup hierarchy detection and lxcfs-remount's namespace
 * walk. */

#include <libmount.h>
#include <sys/types.h>

#include "lxcfs/macro.h"

static inline void mnt_unref_tablep(struct libmnt_table **t) { mnt_unref_table(*t); }
static inline void mnt_free_iterp(struct libmnt_iter **i) { mnt_free_iter(*i); }
#define _cleanup_mnt_table_ _cleanup_(mnt_unref_tablep)
#define _cleanup_mnt_iter_ _cleanup_(mnt_free_iterp)

/* Parse mountinfo text. */
int mountinfo_parse(const char *text, struct libmnt_table **ret);

/* The mount at path listed last in tb (the one mounted on top), comparing
 * paths as strings: nothing is resolved, so no mount is touched. NULL:
 * nothing is mounted exactly there. */
struct libmnt_fs *mountinfo_top_at(struct libmnt_table *tb, const char *path);

/* The same in our own /proc/self/mountinfo: its fs type (caller frees)
 * and device, either may be NULL. -ENOENT: nothing is mounted there. */
int mountinfo_self_top_at(const char *path, char **ret_fstype, dev_t *ret_dev);
