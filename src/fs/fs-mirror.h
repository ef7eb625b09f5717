/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The FUSE operations on mirror rows (vmirror.h, mirror.h), called by
 * fs.c for the inodes that belong to a mirror. What a reader may see is
 * decided per request: lookups and listings are never cached by the
 * kernel there, since two containers see different cpuN entries. */

#include "lxcfs/fs.h"
#include "lxcfs/mirror.h"

/* Seconds the kernel may keep a host entry's attributes. */
#define MIRROR_ATTR_TIMEOUT 1.0

int fs_mirrors_init(struct lxcfs_fs *fs);
void fs_mirrors_done(struct lxcfs_fs *fs);

/* The mirror ino belongs to (its root, or one of its host entries). */
struct mirror *fs_mirror_of(struct lxcfs_fs *fs, uint64_t ino);

void fs_mirror_lookup(fuse_req_t req, struct mirror *m, uint64_t parent, const char *name);
int fs_mirror_getattr(struct mirror *m, uint64_t ino, struct stat *ret);
/* The host file's bytes for the reader pid, who must be allowed to see it. */
int fs_mirror_content(struct lxcfs_fs *fs, struct mirror *m, uint64_t ino, pid_t pid, uid_t uid,
                      struct content **ret);
int fs_mirror_opendir(struct lxcfs_fs *fs, struct mirror *m, uint64_t ino, pid_t pid);
void fs_mirror_readdir(fuse_req_t req, struct mirror *m, uint64_t ino, size_t size, off_t off);
void fs_mirror_readlink(fuse_req_t req, fuse_ino_t ino);
