/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared by the files of src/cgroup only. */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "lxcfs/cgroup.h"
#include "lxcfs/cgroup_cache.h"

/* Small cgroup files are read into a stack buffer of this size; only a
 * bigger one (cpuacct.usage_all on a large machine) goes to the heap. */
#define CG_SMALL_FILE 4096

/* The controller called s[0..n) on v1, or -1. */
int cg_controller_from_name(const char *s, size_t n);

/* True when controller c is served by the cgroup2 hierarchy. */
bool cg_is_unified(const struct cg_hierarchies *h, enum cg_controller c);

/* Length of the parent of rel[0..len): up to its last '/', 0 for the root. */
size_t cg_parent_len(const char *rel, size_t len);

/* "rel[0..len]/file" (or "file" at the root) into buf. -ENAMETOOLONG if it
 * does not fit. */
int cg_level_file(char *buf, size_t size, const char *rel, size_t len, const char *file);

/* Read a file of the cgroup rel[0..len) into buf. Returns the length or -errno. */
ssize_t cg_read_level(int fd, const char *rel, size_t len, const char *file, char *buf, size_t size);
/* Same, parsing one unsigned number ("max" -> UINT64_MAX). */
int cg_read_level_u64(int fd, const char *rel, size_t len, const char *file, uint64_t *ret);

/* Read a file that is usually small: into stack_buf when it fits, else into
 * a heap copy stored in *heap (caller frees). *ret points to the text. */
int cg_read_text(int fd, const char *path, char *stack_buf, size_t size, char **heap, const char **ret);

/* Split "key value" (one line of memory.stat, cpu.stat, cpuacct.stat). The
 * key is not NUL-terminated: compare with its length. -EINVAL when the value
 * is not a number. */
int cg_split_key_u64(const char *line, size_t len, const char **ret_key, size_t *ret_key_len, uint64_t *ret_value);

/* cg_read_level() for a level of a cgroup's chain whose own path is
 * rel[0..leaf): an ancestor's file comes through the level cache levels
 * (see level_cache.c) when it is not NULL, the leaf's is read. */
ssize_t cg_read_chain(struct ttl_cache *levels, int fd, const char *rel, size_t len, size_t leaf,
                      const char *file, char *buf, size_t size);
int cg_read_chain_u64(struct ttl_cache *levels, int fd, const char *rel, size_t len, size_t leaf,
                      const char *file, uint64_t *ret);
/* cg_memory_read() and cg_cpu_limits_read() with ancestors' limit files
 * through levels (NULL: read fresh). */
int cg_memory_read_levels(const struct cg_reader *r, struct ttl_cache *levels, struct cg_memory *ret);
int cg_cpu_limits_read_levels(const struct cg_reader *r, struct ttl_cache *levels, struct cg_cpu_limits *ret);
/* The caches of cg_caches_init(), one by one. */
int cg_reader_cache_new(ttl_clock_t clock, struct ttl_cache **ret);
int cg_view_cache_new(ttl_clock_t clock, struct ttl_cache **ret);
int cg_level_cache_new(ttl_clock_t clock, struct ttl_cache **ret);

/* Write the key of kind k for r into buf, as much as fits in size bytes
 * (buf may be NULL with size 0 to measure). Returns the key's full length. */
size_t cg_key_build(const struct cg_reader *r, enum cg_key_kind k, char *buf, size_t size);
