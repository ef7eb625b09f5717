/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The FUSE side of a mirror row (vmirror.h): inode numbers of host entries
 * and safe access to them.
 *
 * Inodes. A host entry's inode number is a 64-bit hash of its path in the
 * mount with bit 63 set, so it is the same in every daemon process: after
 * a connection handover the kernel still holds inodes the previous process
 * gave out. The map from number back to path is filled by lookups; a
 * number it does not know (given out by a previous process) makes it walk
 * the host directory once (at most once a second) and hash every path
 * there. Entries are never dropped: the map holds at most every path of
 * the host directory, and a FORGET needs no bookkeeping.
 *
 * Host access. Every host file is reached from a descriptor of the host
 * directory opened once, one component at a time with O_NOFOLLOW: no
 * symlink of the host tree is followed and nothing outside it is opened.
 * Symlinks (cpuN/subsystem, cpuN/cpufreq on some hosts) are shown as
 * symlinks with the host's target text; the reader's kernel resolves them
 * in the reader's own tree, as it would resolve the host's. */

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "lxcfs/handles.h"
#include "lxcfs/vmirror.h"

#define MIRROR_INO_BIT (UINT64_C(1) << 63)
/* Largest host file served (sysfs attributes are one page). */
#define MIRROR_READ_MAX (1024u * 1024u)

struct mirror_slot {
        uint64_t ino;            /* 0: free */
        char *rel;               /* path under the host directory */
};

struct mirror {
        const struct vmirror *row;
        uint64_t root_ino;       /* the tree's node of row->path */
        int host_fd;             /* O_PATH of row->host_dir */
        pthread_mutex_t lock;
        struct mirror_slot *slots; /* open addressing, by ino */
        size_t n_slots, n_used;
        uint64_t last_walk_ns;
};

struct mirror_dirent {
        char *name;
        mode_t type;             /* S_IFDIR, S_IFREG, S_IFLNK... */
        uint64_t ino;
};

/* The inode number of rel (a path under the host directory, not ""). */
uint64_t mirror_ino(const struct mirror *m, const char *rel);

int mirror_init(struct mirror *m, const struct vmirror *row, uint64_t root_ino);
void mirror_done(struct mirror *m);

static inline bool mirror_owns(const struct mirror *m, uint64_t ino)
{
        return m && (ino == m->root_ino || (ino & MIRROR_INO_BIT));
}

/* The path of ino under the host directory ("" for the root), malloc'ed;
 * -ESTALE when the host has no such entry. */
int mirror_resolve(struct mirror *m, uint64_t ino, char **ret);
/* The top-level entry name of rel, malloc'ed ("" for the root). */
char *mirror_top_entry(const char *rel);

/* Attributes as the host has them, read-only, with our inode number. */
/* ret_rel (optional) gets the path of the entry found. */
int mirror_lookup(struct mirror *m, uint64_t parent, const char *name, struct stat *ret,
                  char **ret_rel);
int mirror_stat(struct mirror *m, const char *rel, struct stat *ret);
/* The bytes of a host file, read now. */
int mirror_read(struct mirror *m, const char *rel, struct content **ret);
int mirror_readlink(struct mirror *m, const char *rel, char **ret);
/* The host directory's entries, in the host's order, without . and .. */
int mirror_list(struct mirror *m, const char *rel, struct mirror_dirent **ret, size_t *ret_n);
void mirror_dirents_free(struct mirror_dirent *d, size_t n);

/* For tests: forget every inode, as a new process starts. */
void mirror_forget_all(struct mirror *m);
